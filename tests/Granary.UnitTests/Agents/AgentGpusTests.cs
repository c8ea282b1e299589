using System.Collections.Immutable;
using Granary.Agents;
using Granary.Agents.Gpu;
using Granary.Resources;
using Granary.Scheduling;
using Granary.Sessions;
using Microsoft.Extensions.Time.Testing;

namespace Granary.UnitTests.Agents;

/// <summary>The node's GPU views (GET /v1/gpus): shares from the allocation map, samples from the GPU source, and each
/// process NVML reports given the session whose container it runs in.</summary>
public sealed class AgentGpusTests
{
    private const long GiB = 1024L * 1024 * 1024;
    private static readonly GpuDeviceInfo Gpu0 = new("GPU-aaaa", "NVIDIA H100 80GB HBM3", 80 * GiB, 0, 132, "9.0");
    private static readonly GpuDeviceInfo Gpu1 = new("GPU-bbbb", "NVIDIA H100 80GB HBM3", 80 * GiB, 1, 132, "9.0");
    private static readonly FakeTimeProvider Clock = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void A_process_in_a_sessions_container_is_that_sessions_and_one_outside_every_container_is_nobodys()
    {
        var source = new FixedSamples(
            new GpuMetrics(Gpu0.Uuid, 61, 30 * GiB, 80 * GiB,
            [
                new GpuProcess(4242, 20 * GiB, "c0ffee01"),  // alice's container
                new GpuProcess(4343, 9 * GiB, "c0ffee02"),   // bob's
                new GpuProcess(77, 1 * GiB, null),           // the MPS server, on the host
                new GpuProcess(5151, 0, "deadbeef"),         // a container that is no session of this node
            ]),
            new GpuMetrics(Gpu1.Uuid, null, 0, 80 * GiB, []));
        var gpus = Node("mps", source, [Holding("alice-s", "c0ffee01", 500), Holding("bob-s", "c0ffee02", 300)]);

        gpus.Sample();
        var views = gpus.Views();

        var gpu0 = Assert.Single(views, v => v.Device == Gpu0);
        Assert.Equal(
            [
                new GpuProcessView(4242, 20 * GiB, "alice-s", "c0ffee01"),
                new GpuProcessView(4343, 9 * GiB, "bob-s", "c0ffee02"),
                new GpuProcessView(77, 1 * GiB, null, null),
                new GpuProcessView(5151, 0, null, "deadbeef"),
            ],
            gpu0.Processes!);
        Assert.Equal(new Dictionary<string, int> { ["alice-s"] = 500, ["bob-s"] = 300 }, gpu0.Shares);
        Assert.Equal((61, 30 * GiB, Clock.GetUtcNow()), (gpu0.UtilizationPercent, gpu0.MemoryUsedBytes, gpu0.SampledAt));
        Assert.Equal(("node-a", "nvml", "mps", true), (gpu0.AgentId, gpu0.Source, gpu0.EnforcementMode, gpu0.Enforced));
        var gpu1 = Assert.Single(views, v => v.Device == Gpu1);
        Assert.Equal(((int?)null, 0L), (gpu1.UtilizationPercent, gpu1.MemoryUsedBytes));
        Assert.Empty(gpu1.Processes!);
        Assert.Empty(gpu1.Shares);
    }

    [Fact]
    public void Before_the_first_sample_and_without_a_live_source_a_view_has_shares_but_no_metrics()
    {
        var sampled = Node("none", new FixedSamples(new GpuMetrics(Gpu0.Uuid, 5, GiB, 80 * GiB, [])), [Holding("alice-s", "c0ffee01", 200)]);
        var configured = Node("none", null, [Holding("alice-s", "c0ffee01", 200)]);
        configured.Sample();

        foreach (var gpu0 in new[] { sampled, configured }.Select(g => g.Views().Single(v => v.Device == Gpu0)))
        {
            Assert.Equal(new Dictionary<string, int> { ["alice-s"] = 200 }, gpu0.Shares);
            Assert.Equal(((int?)null, (long?)null, (GpuProcessView[]?)null, (DateTimeOffset?)null),
                (gpu0.UtilizationPercent, gpu0.MemoryUsedBytes, gpu0.Processes, gpu0.SampledAt));
            Assert.Equal(("none", false), (gpu0.EnforcementMode, gpu0.Enforced)); // accounting only: not enforced
        }
        Assert.False(configured.HasLiveMetrics);
        Assert.Empty(configured.Samples);
    }

    private static AgentGpus Node(string mode, IGpuDiscovery? source, AgentSession[] sessions)
    {
        var capacity = new AgentCapacity(16000, 64 * GiB, [Gpu0, Gpu1], FgpuPerGpu: 10, EnforcementMode: mode,
            GpuSource: source is null ? "configured" : "nvml");
        var registration = new AgentRegistration("node-a", "default", capacity, "docker", "127.0.0.1");
        var node = new NodeState("node-a", capacity, sessions.Select(s => s.Placement.ToAllocation()));
        var bySession = sessions.ToImmutableDictionary(s => s.Placement.SessionId, StringComparer.Ordinal);
        return new AgentGpus("node-a", () => registration, () => node, () => bySession, source, Clock);
    }

    private static AgentSession Holding(string sessionId, string containerId, int milliOfGpu0)
    {
        var spec = new SessionSpec(sessionId, "alice", "granary/python:3.11", SessionType.Batch,
            new ResourceRequest(1000, GiB), "default", [], []);
        var placement = new Placement(sessionId, "node-a", 1000, GiB, [new GpuShare(Gpu0.Uuid, milliOfGpu0)], "alice");
        return new AgentSession(placement, spec, containerId, ContainerPhase.Running, Clock.GetUtcNow(), null);
    }

    /// <summary>A GPU source whose every sample is the same.</summary>
    private sealed class FixedSamples(params GpuMetrics[] samples) : IGpuDiscovery
    {
        public IReadOnlyList<GpuDeviceInfo> Discover() => [Gpu0, Gpu1];

        public GpuMetrics? ReadMetrics(string uuid) => samples.FirstOrDefault(s => s.Uuid == uuid);
    }
}
