using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Granary.Telemetry;

/// <summary>The scheduler grains of this process, read when /metrics is scraped: each group's queue length and
/// when it last heard from each of its agents.</summary>
public static class SchedulerGauges
{
    private static readonly ConcurrentDictionary<string, GroupRegistration> Groups = new(StringComparer.Ordinal);

    /// <summary>Tracks a resource group's scheduler until the returned handle is disposed.</summary>
    public static GroupRegistration Track(string group, Func<int> queueLength, TimeProvider time)
    {
        var registration = new GroupRegistration(group, queueLength, time);
        Groups[group] = registration;
        return registration;
    }

    internal static IEnumerable<(string Group, int Queued)> Queued() =>
        Groups.Values.Select(g => (g.Group, g.QueueLength()));

    public static IEnumerable<Measurement<long>> QueueLengths() =>
        Queued().Select(g => new Measurement<long>(g.Queued, NodeGauges.Tag("resource_group", g.Group)));

    public static IEnumerable<Measurement<double>> HeartbeatAges() =>
        Groups.Values.SelectMany(g => g.Ages());

    public sealed class GroupRegistration(string group, Func<int> queueLength, TimeProvider time) : IDisposable
    {
        private readonly ConcurrentDictionary<string, DateTimeOffset> _lastSeen = new(StringComparer.Ordinal);

        public string Group => group;
        public int QueueLength() => queueLength();

        public void Seen(string agentId, DateTimeOffset at) => _lastSeen[agentId] = at;

        public void Forget(string agentId) => _lastSeen.TryRemove(agentId, out _);

        internal IEnumerable<Measurement<double>> Ages()
        {
            var now = time.GetUtcNow();
            return _lastSeen.Select(a => new Measurement<double>((now - a.Value).TotalSeconds,
                NodeGauges.Tag("node", a.Key), NodeGauges.Tag("resource_group", group)));
        }

        public void Dispose() => Groups.TryRemove(new KeyValuePair<string, GroupRegistration>(group, this));
    }
}
