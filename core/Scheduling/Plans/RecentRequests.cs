using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>The last <paramref name="capacity"/> requests a scheduler was asked to place, oldest first: the mix its
/// planner plans for (<see cref="PlanInput"/>), which what runs at one moment samples too thinly.</summary>
public sealed class RecentRequests(int capacity)
{
    /// <summary>How many arrivals a scheduler's planner remembers.</summary>
    public const int DefaultCapacity = 2000;

    private readonly Queue<ResourceRequest> _requests = new();

    public IReadOnlyCollection<ResourceRequest> Items => _requests;

    public void Add(ResourceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_requests.Count == capacity) _requests.Dequeue();
        _requests.Enqueue(request);
    }
}
