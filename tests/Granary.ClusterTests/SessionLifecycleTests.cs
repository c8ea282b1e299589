using Granary.Agents;
using Granary.Sessions;

namespace Granary.ClusterTests;

[Collection(ClusterCollection.Name)]
public sealed class SessionLifecycleTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_session_runs_through_its_states_and_delete_frees_its_allocation_everywhere()
    {
        var session = await Sessions.Create(fixture.Client, Sessions.Spec("spine", cpuMilli: 4000, memoryBytes: 2 * Sessions.GiB, fgpuMilli: 500));

        var running = await Sessions.WaitFor(session, SessionStatus.Running);
        Assert.Equal("spine-a", running.AgentId);
        var share = Assert.Single(running.Gpus);
        Assert.Equal(500, share.Milli);
        Assert.NotNull(running.StartedAt);
        Assert.NotNull(running.ContainerId);
        var app = Assert.Single(running.Apps);
        Assert.Equal("jupyter", app.Name);
        Assert.True(app.Port > 0);

        var events = await session.GetEvents(0);
        Assert.Equal(
            [SessionStatus.Pending, SessionStatus.Scheduled, SessionStatus.Preparing, SessionStatus.Running],
            events.Where(e => e.App is null).Select(e => e.Status)); // status changes; app readiness events follow RUNNING
        Assert.Equal(Enumerable.Range(1, events.Count).Select(n => (long)n), events.Select(e => e.Sequence));
        Assert.Equal(events.Skip(2), await session.GetEvents(2));

        Assert.Contains("started", await session.GetLogs(10));
        var snapshot = await fixture.Agent("spine-a").GetSnapshot();
        Assert.Contains(snapshot.Allocations, a => a.SessionId == running.Id);
        var view = (await fixture.Agent("spine-a").GetGpus()).Single(d => d.Device.Uuid == share.Uuid);
        Assert.Equal(500, view.Shares.GetValueOrDefault(running.Id)); // read from the node's truth: no delay

        var terminated = await session.Terminate(force: false);
        Assert.Equal(SessionStatus.Terminated, terminated.Status);
        Assert.NotNull(terminated.TerminatedAt);
        Assert.Equal(SessionStatus.Terminating, (await session.GetEvents(0))[^2].Status);
        Assert.DoesNotContain((await fixture.Agent("spine-a").GetSnapshot()).Allocations, a => a.SessionId == running.Id);
        Assert.Empty((await fixture.Agent("spine-a").GetGpus()).Single(d => d.Device.Uuid == share.Uuid).Shares);
        Assert.Empty(await fixture.RuntimeOf(ClusterFixture.AgentSiloA).List(
            new Dictionary<string, string> { [ContainerLabels.Session] = running.Id }, CancellationToken.None));

        // The scheduler's view freed it too: a session needing the whole node is placed there again.
        var next = await Sessions.Create(fixture.Client, Sessions.Spec("spine", cpuMilli: 4000, memoryBytes: 2 * Sessions.GiB));
        Assert.Equal("spine-a", (await Sessions.WaitFor(next, SessionStatus.Running)).AgentId);
        await next.Terminate(force: false);
        Assert.Empty((await fixture.Agent("spine-a").GetSnapshot()).Allocations);
    }

    [Fact]
    public async Task A_session_that_no_node_can_take_waits_with_a_reason_and_can_be_cancelled()
    {
        var session = await Sessions.Create(fixture.Client, Sessions.Spec("cancel-nowhere"));

        var pending = await Eventually.Value(async () => (await session.Get())!,
            v => v.StatusReason is not (null or "waiting for the scheduler"), "the scheduler's reason reaches the session");
        Assert.Equal(SessionStatus.Pending, pending.Status);
        var entry = Assert.Single((await fixture.Scheduler("cancel-nowhere").GetStatus()).Pending);
        Assert.Equal(pending.Id, entry.SessionId);
        Assert.Equal(pending.StatusReason, entry.Reason);

        var cancelled = await session.Terminate(force: false);

        Assert.Equal(SessionStatus.Cancelled, cancelled.Status);
        Assert.Empty((await fixture.Scheduler("cancel-nowhere").GetStatus()).Pending);
        Assert.Equal([SessionStatus.Pending, SessionStatus.Cancelled], (await session.GetEvents(0)).Select(e => e.Status));
    }

    [Fact]
    public async Task A_start_failure_ends_in_error_with_the_reason_and_frees_the_allocation()
    {
        var session = await Sessions.Create(fixture.Client, Sessions.Spec("failure", image: ClusterFixture.FailingImage));

        var failed = await Sessions.WaitFor(session, SessionStatus.Error);

        // The reason says what failed in words; the runtime's own message goes to the log only.
        Assert.Matches("^[A-Za-z]+ failed: the container runtime reported an error \\(details in agent failure-a's log\\)$", failed.StatusReason);
        Assert.DoesNotContain("simulated start failure", failed.StatusReason);
        Assert.NotNull(failed.TerminatedAt);
        Assert.DoesNotContain((await fixture.Agent("failure-a").GetSnapshot()).Allocations, a => a.SessionId == failed.Id);
        Assert.Empty(await fixture.RuntimeOf(ClusterFixture.AgentSiloA).List(
            new Dictionary<string, string> { [ContainerLabels.Session] = failed.Id }, CancellationToken.None));
    }

    [Fact]
    public async Task A_missing_image_goes_through_pulling_to_an_error_naming_image_and_node()
    {
        var session = await Sessions.Create(fixture.Client, Sessions.Spec("failure", image: "nowhere:9"));

        var failed = await Sessions.WaitFor(session, SessionStatus.Error);

        Assert.Equal("image nowhere:9 not present on node failure-a", failed.StatusReason);
        Assert.Contains(SessionStatus.Pulling, (await session.GetEvents(0)).Select(e => e.Status));
        Assert.DoesNotContain((await fixture.Agent("failure-a").GetSnapshot()).Allocations, a => a.SessionId == failed.Id);
    }

    [Fact]
    public async Task A_batch_session_whose_container_exits_is_terminated_with_the_exit_code()
    {
        var session = await Sessions.Create(fixture.Client, Sessions.Spec("batch", type: SessionType.Batch));
        var running = await Sessions.WaitFor(session, SessionStatus.Running);

        fixture.RuntimeOf(ClusterFixture.AgentSiloB).Exit(running.ContainerId!, 3);

        var ended = await Sessions.WaitFor(session, SessionStatus.Terminated);
        Assert.Equal(3, ended.ExitCode);
        Assert.Equal("container exited with code 3", ended.StatusReason);
        Assert.DoesNotContain((await fixture.Agent("batch-b").GetSnapshot()).Allocations, a => a.SessionId == ended.Id);

        // A late report for the ended session changes nothing and does not fail the agent.
        await session.Report(new RuntimeReport(SessionStatus.Running, AgentId: "batch-b"));
        await session.Report(new RuntimeReport(SessionStatus.Terminated, ExitCode: 3, AgentId: "batch-b"));
        Assert.Equal(SessionStatus.Terminated, (await session.Get())!.Status);
    }

    [Fact]
    public async Task An_interactive_session_whose_container_exits_ends_in_error_with_the_exit_code()
    {
        var session = await Sessions.Create(fixture.Client, Sessions.Spec("batch"));
        var running = await Sessions.WaitFor(session, SessionStatus.Running);

        fixture.RuntimeOf(ClusterFixture.AgentSiloB).Exit(running.ContainerId!, 7);

        var ended = await Sessions.WaitFor(session, SessionStatus.Error);
        Assert.Equal(7, ended.ExitCode);
        Assert.DoesNotContain((await fixture.Agent("batch-b").GetSnapshot()).Allocations, a => a.SessionId == ended.Id);
    }

    [Fact]
    public async Task A_placement_the_agent_refuses_puts_the_session_back_to_pending_and_it_is_placed_later()
    {
        var first = await Sessions.Create(fixture.Client, Sessions.Spec("refusal", cpuMilli: 4000));
        await Sessions.WaitFor(first, SessionStatus.Running);
        var truth = await fixture.Agent("refusal-b").GetSnapshot();
        // The truth first: until a snapshot shows the first session, the scheduler holds its placement in flight and
        // lays it over any snapshot (the agent's own push may not have arrived yet), so the node would look full.
        await fixture.Scheduler("refusal").ReportAgent(truth);
        // Then make the scheduler believe the node is empty while the agent knows it is full. The version is far
        // ahead so the agent's own pushes (a version up per change) cannot replace the lie before the placement; the
        // refusal makes the scheduler forget the node, so its next true snapshot is taken whatever its version.
        await fixture.Scheduler("refusal").ReportAgent(truth with { Allocations = [], Version = truth.Version + 1_000_000 });

        var second = await Sessions.Create(fixture.Client, Sessions.Spec("refusal", cpuMilli: 4000));

        await Eventually.True(async () => (await second.GetEvents(0)).Any(e => e.Status == SessionStatus.Pending && e.Sequence > 1),
            "the refused session is back to PENDING");
        var events = await second.GetEvents(0);
        Assert.Equal([SessionStatus.Pending, SessionStatus.Scheduled, SessionStatus.Pending], events.Take(3).Select(e => e.Status));
        Assert.Contains("refused", events[2].Reason);
        Assert.Equal(SessionStatus.Pending, (await second.Get())!.Status);

        await first.Terminate(force: false);

        var running = await Sessions.WaitFor(second, SessionStatus.Running);
        Assert.Equal("refusal-b", running.AgentId);
        await second.Terminate(force: false);
    }
}
