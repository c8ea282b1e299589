namespace Granary.Benchmarks.Soak;

/// <summary>When the agent silo was down (from its kill until the node answered again), so a client can tell a
/// session that ended before it ran because its node died mid-start (expected) from one that failed otherwise.</summary>
public sealed class AgentRestarts
{
    private readonly List<(DateTime From, DateTime To)> _windows = [];
    private readonly Lock _gate = new();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _windows.Count;
            }
        }
    }

    public async Task Around(Func<Task> restart)
    {
        var from = DateTime.UtcNow;
        await restart();
        lock (_gate)
        {
            _windows.Add((from, DateTime.UtcNow));
        }
    }

    /// <summary>Did a restart begin between from and to?</summary>
    public bool AnyBetween(DateTime from, DateTime to)
    {
        lock (_gate)
        {
            return _windows.Any(w => w.From >= from && w.From <= to);
        }
    }
}
