using System.Collections.Immutable;
using Granary.Agents;
using Granary.Resources;
using Granary.Scheduling;
using Granary.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Granary.ClusterTests;

/// <summary>The persisted states go through Orleans' serializer in the PostgreSQL storage (immutable collections
/// and records included) and come back equal.</summary>
public sealed class GrainStateSerializationTests
{
    private static readonly Serializer Serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();
    private static readonly SessionSpec Spec = new("train", "alice", "python:3.11", SessionType.Interactive,
        new ResourceRequest(CpuMilli: 500, MemoryBytes: 1L << 30, FgpuMilli: 250), "default", [], new Dictionary<string, string> { ["A"] = "1" });
    private static readonly Placement Placement = new("s-1", "node-a", 500, 1L << 30, [new GpuShare("GPU-0", 250)], "alice");

    private static T RoundTrip<T>(T value) => Serializer.Deserialize<T>(Serializer.SerializeToArray(value))!;

    [Fact]
    public void An_agent_state_with_its_sessions_comes_back_equal()
    {
        var session = new AgentSession(Placement, Spec, "c-1", ContainerPhase.Running, DateTimeOffset.UnixEpoch, new SshKey("pub", "priv"));
        var state = new AgentState { Sessions = ImmutableDictionary<string, AgentSession>.Empty.Add("s-1", session) };

        var back = RoundTrip(state);

        var stored = Assert.Single(back.Sessions);
        Assert.Equal("s-1", stored.Key);
        Assert.Equal(session with { Placement = stored.Value.Placement, Spec = stored.Value.Spec }, stored.Value);
        Assert.Equal(Placement.Gpus, stored.Value.Placement.Gpus);
        Assert.Equal("1", stored.Value.Spec.Env["A"]);
    }

    [Fact]
    public void A_scheduler_state_with_its_queue_and_placements_in_flight_comes_back_equal()
    {
        var pending = new PendingSession("s-2", "bob", Spec.Resources, 3, DateTimeOffset.UnixEpoch);
        var state = new SchedulerState();
        state.Queue.Add(new QueuedSession(pending, Skips: 2, Reason: "no node has enough GPU share"));
        state.InFlight = state.InFlight.SetItem("s-1", new InFlightPlacement(Placement, pending with { SessionId = "s-1" }, DateTimeOffset.UnixEpoch));

        var back = RoundTrip(state);

        Assert.Equal(state.Queue, back.Queue);
        var inFlight = Assert.Single(back.InFlight);
        Assert.Equal("s-1", inFlight.Key);
        Assert.Equal("node-a", inFlight.Value.Placement.AgentId);
        Assert.Equal(state.InFlight["s-1"].Session, inFlight.Value.Session);
    }

    [Fact]
    public void A_session_index_comes_back_with_its_ids_and_owners()
    {
        var state = new SessionIndexState { SessionIds = ["s-1", "s-2"], Owners = ["alice"] };

        var back = RoundTrip(state);

        Assert.Equal(["s-1", "s-2"], back.SessionIds);
        Assert.Equal(["alice"], back.Owners);
    }
}
