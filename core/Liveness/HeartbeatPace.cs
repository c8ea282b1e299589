namespace Granary.Agents.Liveness;

/// <summary>
/// How often each node sends its liveness heartbeat, and how long a silent node has before it is lost, for a cluster
/// of a given size. The managers take at most MaxPerSecond heartbeats a second: a cluster of more than
/// MaxPerSecond × Interval nodes stretches every node's interval (as Nomad's max_heartbeats_per_second does), and
/// LostAfter in proportion, so a node is lost after as many missed heartbeats at any size.
/// </summary>
public sealed record HeartbeatPace(TimeSpan Interval, TimeSpan LostAfter, int MaxPerSecond)
{
    public TimeSpan IntervalFor(int nodes)
    {
        var spread = TimeSpan.FromSeconds((double)nodes / MaxPerSecond);
        return spread > Interval ? spread : Interval;
    }

    public TimeSpan LostAfterFor(int nodes) => LostAfter * (IntervalFor(nodes) / Interval);
}
