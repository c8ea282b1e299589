using Granary.Agents;
using Granary.Agents.Runtime;
using Granary.Sessions;

namespace Granary.ClusterTests;

[Collection(ClusterCollection.Name)]
public sealed class AgentRecoveryTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_restarted_agent_adopts_live_containers_removes_orphans_and_fails_sessions_whose_container_vanished()
    {
        var runtime = fixture.RuntimeOf(ClusterFixture.AgentSiloA);
        var kept = await Sessions.Create(fixture.Client, Sessions.Spec("reconcile"));
        var vanished = await Sessions.Create(fixture.Client, Sessions.Spec("reconcile"));
        var keptView = await Sessions.WaitFor(kept, SessionStatus.Running);
        var vanishedView = await Sessions.WaitFor(vanished, SessionStatus.Running);
        var agent = fixture.Agent("reconcile-a");

        await fixture.Cluster.DeactivateAsync(agent);
        // While the agent is down: one session's container disappears, and a container nobody holds shows up.
        await runtime.Remove(vanishedView.ContainerId!, CancellationToken.None);
        var orphan = await runtime.Create(new ContainerSpec("ghost", "base:1", null, new Dictionary<string, string>(),
            new Dictionary<string, string> { [ContainerLabels.Node] = "reconcile-a", [ContainerLabels.Session] = "ghost" },
            1000, Sessions.GiB, 0, [], [], []), CancellationToken.None);
        await runtime.Start(orphan, CancellationToken.None);
        await agent.GetSnapshot(); // activates it again

        var failed = await Sessions.WaitFor(vanished, SessionStatus.Error);
        Assert.Contains("vanished", failed.StatusReason);
        await Eventually.True(async () => await runtime.Inspect(orphan, CancellationToken.None) is null, "the orphan container is removed");
        // Only this test's sessions are asserted on: the agent is shared with the other tests of this class.
        var held = (await agent.GetSnapshot()).Allocations.Select(a => a.SessionId).ToArray();
        Assert.Contains(keptView.Id, held);
        Assert.DoesNotContain(vanishedView.Id, held);
        Assert.DoesNotContain("ghost", held);
        Assert.Equal(SessionStatus.Running, (await kept.Get())!.Status);
        Assert.Equal(ContainerState.Running, (await runtime.Inspect(keptView.ContainerId!, CancellationToken.None))!.State);

        // The adopted container is watched again: when it exits, the session ends.
        runtime.Exit(keptView.ContainerId!, 9);
        var ended = await Sessions.WaitFor(kept, SessionStatus.Error);
        Assert.Equal(9, ended.ExitCode);
        Assert.DoesNotContain(keptView.Id, (await agent.GetSnapshot()).Allocations.Select(a => a.SessionId));
    }

    [Fact]
    public async Task A_start_that_an_agent_restart_interrupted_is_made_again_instead_of_failing_the_session()
    {
        var runtime = fixture.RuntimeOf(ClusterFixture.AgentSiloA);
        // Its container is created but never starts (the hanging image), as a node that died mid-start leaves it.
        var session = await Sessions.Create(fixture.Client, Sessions.Spec("reconcile", image: ClusterFixture.HangingImage));
        var labels = new Dictionary<string, string> { [ContainerLabels.Session] = session.GetPrimaryKeyString() };
        var halfMade = await Eventually.Value(() => runtime.List(labels, CancellationToken.None), c => c.Count == 1, "its container is created");
        var agent = fixture.Agent("reconcile-a");

        await fixture.Cluster.DeactivateAsync(agent);
        await agent.GetSnapshot(); // activates it again

        var remade = await Eventually.Value(() => runtime.List(labels, CancellationToken.None),
            c => c.Count == 1 && c[0].Id != halfMade[0].Id, "the half-made container is replaced by a new one");
        Assert.Equal(ContainerState.Created, remade[0].State);
        var view = (await session.Get())!;
        Assert.Equal(SessionStatus.Preparing, view.Status);
        Assert.Contains(session.GetPrimaryKeyString(), (await agent.GetSnapshot()).Allocations.Select(a => a.SessionId));
        await session.Terminate(force: true);
        await Eventually.True(async () => (await runtime.List(labels, CancellationToken.None)).Count == 0, "its container is removed");
    }

    [Fact]
    public async Task An_interrupted_start_whose_session_cannot_be_asked_ends_as_vanished_and_frees_its_share()
    {
        var runtime = fixture.RuntimeOf(ClusterFixture.AgentSiloA);
        var session = await Sessions.Create(fixture.Client, Sessions.Spec("reconcile", image: ClusterFixture.HangingImage));
        var id = session.GetPrimaryKeyString();
        var labels = new Dictionary<string, string> { [ContainerLabels.Session] = id };
        await Eventually.Value(() => runtime.List(labels, CancellationToken.None), c => c.Count == 1, "its container is created");
        var agent = fixture.Agent("reconcile-a");

        // The restarted agent asks the session whether it had started; that call fails (its manager just died).
        CallFaults.Shared.FailGet(id, times: 1);
        await fixture.Cluster.DeactivateAsync(agent);
        await agent.GetSnapshot(); // activates it again

        var failed = await Sessions.WaitFor(session, SessionStatus.Error);
        Assert.Equal(0, CallFaults.Shared.Remaining(id));
        Assert.Contains("vanished", failed.StatusReason);
        Assert.DoesNotContain(id, (await agent.GetSnapshot()).Allocations.Select(a => a.SessionId));
        await Eventually.True(async () => (await runtime.List(labels, CancellationToken.None)).Count == 0, "its container is removed");
    }

    [Fact]
    public async Task An_app_still_starting_when_its_agent_restarts_is_probed_again_and_becomes_ready()
    {
        var probe = fixture.AppProbeOf(ClusterFixture.AgentSiloA);
        var session = fixture.Client.GetGrain<ISessionGrain>(Guid.NewGuid().ToString("N"));
        probe.Hold(session.GetPrimaryKeyString()); // its jupyter does not answer yet
        await session.Create(Sessions.Spec("reconcile"));
        var running = await Sessions.WaitFor(session, SessionStatus.Running);
        Assert.Equal(AppState.Starting, running.Apps.Single(a => a.Name == "jupyter").State);
        var agent = fixture.Agent("reconcile-a");

        await fixture.Cluster.DeactivateAsync(agent);
        probe.Release(session.GetPrimaryKeyString()); // jupyter answers from now on
        Assert.Equal(AppState.Starting, (await session.Get())!.Apps.Single(a => a.Name == "jupyter").State);
        await agent.GetSnapshot(); // activates it again

        await Eventually.True(async () => (await session.Get())!.Apps.Single(a => a.Name == "jupyter").State == AppState.Ready,
            "the app still starting at the restart is probed again and becomes ready");
        Assert.Contains(await session.GetEvents(0), e => e.App is { Name: "jupyter", State: AppState.Ready });
        await session.Terminate(force: false);
        await Sessions.WaitFor(session, SessionStatus.Terminated);
    }

    [Fact]
    public async Task A_restarted_agent_removes_the_container_of_a_session_that_ended_while_it_was_down()
    {
        var runtime = fixture.RuntimeOf(ClusterFixture.AgentSiloA);
        var session = await Sessions.Create(fixture.Client, Sessions.Spec("reconcile"));
        var running = await Sessions.WaitFor(session, SessionStatus.Running);
        var agent = fixture.Agent("reconcile-a");

        await fixture.Cluster.DeactivateAsync(agent);
        // The session ends without its agent hearing of it (as a forced delete of an unreachable agent would).
        await session.Report(new RuntimeReport(SessionStatus.Terminated, "ended elsewhere", 0, AgentId: "reconcile-a"));
        Assert.Equal(SessionStatus.Terminated, (await session.Get())!.Status);
        Assert.NotNull(await runtime.Inspect(running.ContainerId!, CancellationToken.None));

        await agent.GetSnapshot(); // activates it again

        await Eventually.True(async () => await runtime.Inspect(running.ContainerId!, CancellationToken.None) is null,
            "the container of the ended session is removed");
        await Eventually.True(async () => (await agent.GetSnapshot()).Allocations.All(a => a.SessionId != running.Id), "its allocation is freed");
        Assert.Equal(SessionStatus.Terminated, (await session.Get())!.Status);
    }

    [Fact]
    public async Task A_deactivated_agent_grain_is_brought_back_by_its_silo_and_keeps_taking_work()
    {
        var scheduler = fixture.Scheduler("timeout");
        await Eventually.True(async () => (await scheduler.GetStatus()).Agents == 1, "the agent is in the view");

        // A deactivated agent grain sends no heartbeats by itself; its silo's registrar touches it again within
        // two liveness intervals, so the node never falls silent (and is never declared lost) for this.
        await fixture.Cluster.DeactivateAsync(fixture.Agent("timeout-b"));

        var session = await Sessions.Create(fixture.Client, Sessions.Spec("timeout"));
        Assert.Equal("timeout-b", (await Sessions.WaitFor(session, SessionStatus.Running)).AgentId);
        Assert.Equal(1, (await scheduler.GetStatus()).Agents);
        await session.Terminate(force: false);
    }

    [Fact]
    public async Task A_session_stuck_while_creating_its_container_ends_in_error_and_is_cleaned_up()
    {
        var session = await Sessions.Create(fixture.Client, Sessions.Spec("stuck", image: ClusterFixture.HangingImage));

        var failed = await Sessions.WaitFor(session, SessionStatus.Error);

        Assert.Equal($"stuck in Creating for longer than {ClusterFixture.StuckTimeout}", failed.StatusReason);
        Assert.Empty((await fixture.Agent("stuck-b").GetSnapshot()).Allocations);
        Assert.Empty(await fixture.RuntimeOf(ClusterFixture.AgentSiloB).List(
            new Dictionary<string, string> { [ContainerLabels.Session] = failed.Id }, CancellationToken.None));
    }
}
