namespace Granary.Scheduling;

/// <summary>The order in which the scheduler considers pending requests.</summary>
public interface IQueueOrder
{
    IReadOnlyList<QueuedRequest> Order(IReadOnlyList<QueuedRequest> queue);
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

public static class QueueOrders
{
    public static IReadOnlyList<string> Names { get; } = ["fifo"];

    /// <summary>The queue order of that name (case-insensitive); ArgumentException for an unknown one.</summary>
    public static IQueueOrder Resolve(string name) => name?.ToLowerInvariant() switch
    {
        "fifo" => FifoOrder.Instance,
        _ => throw new ArgumentException($"Unknown queue order '{name}'; known: {string.Join(", ", Names)}.", nameof(name)),
    };
}
