using Granary.Agents;

namespace Granary.Scheduling;

/// <summary>The order in which the scheduler considers pending requests.</summary>
public interface IQueueOrder
{
    IReadOnlyList<QueuedRequest> Order(IReadOnlyList<QueuedRequest> queue);

    /// <summary>The requests in the order the round considers them. An order that depends on what the round has
    /// placed so far (DRF) reads <paramref name="placed"/>, which the scheduler extends as it goes.</summary>
    IEnumerable<QueuedRequest> Sequence(IReadOnlyList<QueuedRequest> queue, ClusterState cluster, IReadOnlyList<Placement> placed) =>
        Order(queue);
}

/// <summary>First come, first considered: by enqueue time, ties in queue order.</summary>
public sealed class FifoOrder : IQueueOrder
{
    public static readonly FifoOrder Instance = new();

    public IReadOnlyList<QueuedRequest> Order(IReadOnlyList<QueuedRequest> queue)
    {
        for (var i = 1; i < queue.Count; i++)
            if (queue[i].Session.EnqueuedAt < queue[i - 1].Session.EnqueuedAt)
                return queue.OrderBy(q => q.Session.EnqueuedAt).ToArray(); // stable
        return queue;
    }
}

/// <summary>Last come, first considered: latest enqueue time first, ties in reverse queue order.</summary>
public sealed class LifoOrder : IQueueOrder
{
    public static readonly LifoOrder Instance = new();

    public IReadOnlyList<QueuedRequest> Order(IReadOnlyList<QueuedRequest> queue) =>
        queue.Select((q, i) => (q, i)).OrderByDescending(x => x.q.Session.EnqueuedAt).ThenByDescending(x => x.i)
            .Select(x => x.q).ToArray();
}

/// <summary>Higher Priority first; first come, first considered within a priority.</summary>
public sealed class PriorityOrder : IQueueOrder
{
    public static readonly PriorityOrder Instance = new();

    public IReadOnlyList<QueuedRequest> Order(IReadOnlyList<QueuedRequest> queue) =>
        queue.OrderByDescending(q => q.Session.Priority).ThenBy(q => q.Session.EnqueuedAt).ToArray(); // stable
}

public static class QueueOrders
{
    public static IReadOnlyList<string> Names { get; } = ["fifo", "lifo", "priority", "drf"];

    /// <summary>The queue order of that name (case-insensitive); ArgumentException for an unknown one.</summary>
    public static IQueueOrder Resolve(string name) => name?.ToLowerInvariant() switch
    {
        "fifo" => FifoOrder.Instance,
        "lifo" => LifoOrder.Instance,
        "priority" => PriorityOrder.Instance,
        "drf" => DrfOrder.Instance,
        _ => throw new ArgumentException($"Unknown queue order '{name}'; known: {string.Join(", ", Names)}.", nameof(name)),
    };
}
