using Granary.Folders;
using Granary.Sessions;
using Granary.Users;

namespace Granary.ClusterTests;

/// <summary>A call that fails as a call to a dying manager fails loses no session: it is asked again until it lands.</summary>
[Collection(ClusterCollection.Name)]
public sealed class SessionFaultTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_session_whose_enqueue_failed_is_enqueued_again_and_runs()
    {
        var session = fixture.Client.GetGrain<ISessionGrain>(Guid.NewGuid().ToString("N"));
        CallFaults.Shared.FailEnqueue(session.GetPrimaryKeyString(), times: 2);

        // The failure reaches the caller (the gateway answers 503), but the session is stored as pending.
        await Assert.ThrowsAsync<SiloUnavailableException>(() => session.Create(Sessions.Spec("burst", cpuMilli: 500, owner: "fault-enqueue")));

        var running = await Sessions.WaitFor(session, SessionStatus.Running);
        Assert.Equal(0, CallFaults.Shared.Remaining(running.Id));
        await session.Terminate(force: false);
    }

    [Fact]
    public async Task A_stop_its_agent_failed_is_asked_again_by_the_next_activation()
    {
        var session = await Sessions.Create(fixture.Client, Sessions.Spec("burst", cpuMilli: 500, owner: "fault-stop"));
        var running = await Sessions.WaitFor(session, SessionStatus.Running);
        CallFaults.Shared.FailStop(running.Id, times: 1);

        // The failure reaches the caller (the gateway answers 503); the session stays TERMINATING, and its activation
        // goes (its manager died) before its own retry.
        await Assert.ThrowsAsync<SiloUnavailableException>(() => session.Terminate(force: false));
        Assert.Equal(SessionStatus.Terminating, (await session.Get())!.Status);
        await fixture.Cluster.DeactivateAsync(session);

        var ended = await Sessions.WaitFor(session, SessionStatus.Terminated);
        Assert.Equal(0, CallFaults.Shared.Remaining(running.Id));
        Assert.Equal("terminated", ended.StatusReason);
        Assert.DoesNotContain(running.Id, (await fixture.Agent(running.AgentId!).GetSnapshot()).Allocations.Select(a => a.SessionId));
    }

    [Fact]
    public async Task A_placement_whose_publish_failed_still_starts_and_the_index_catches_up()
    {
        var session = fixture.Client.GetGrain<ISessionGrain>(Guid.NewGuid().ToString("N"));
        CallFaults.Shared.FailPublish(session.GetPrimaryKeyString(), SessionStatus.Scheduled, times: 1);

        await session.Create(Sessions.Spec("burst", cpuMilli: 500, owner: "fault-publish"));

        var running = await Sessions.WaitFor(session, SessionStatus.Running);
        Assert.Equal(0, CallFaults.Shared.Remaining(running.Id));
        var index = fixture.Client.GetGrain<ISessionIndexGrain>("fault-publish");
        await Eventually.True(async () => (await index.ListViews()).Single(v => v.Id == running.Id).Status == SessionStatus.Running,
            "the owner's index shows the session running");
        await session.Terminate(force: false);
    }

    [Fact]
    public async Task A_placement_whose_start_failed_before_reaching_its_agent_is_started_again()
    {
        // An image no node has: the silo's catalog copy lacks it, so each start of the session looks it up in the
        // catalog grain, and the agent then ends the session with a reason that names it.
        const string image = "nowhere:1";
        var session = fixture.Client.GetGrain<ISessionGrain>(Guid.NewGuid().ToString("N"));
        CallFaults.Shared.FailImageLookup(session.GetPrimaryKeyString(), times: 2);

        await session.Create(Sessions.Spec("burst", cpuMilli: 500, image: image, owner: "fault-start"));

        // Left SCHEDULED for ever before the fix: the failed start went to the scheduler, whose next Assign the session
        // declined as already placed.
        var ended = await Sessions.WaitFor(session, SessionStatus.Error);
        Assert.Equal(0, CallFaults.Shared.Remaining(ended.Id));
        Assert.Contains($"image {image} not present on node", ended.StatusReason);
        Assert.Contains(SessionStatus.Scheduled, (await session.GetEvents(0)).Select(e => e.Status));
    }

    [Fact]
    public async Task A_session_whose_folder_release_hangs_ends_without_waiting_for_it_and_releases_it_later()
    {
        var (folder, session, running) = await RunningWithAFolder();
        var letGo = CallFaults.Shared.HoldDetach(running.Id);
        try
        {
            // The end answers while the folder's grain still holds the Detach (a silo that died a moment ago); the
            // folder is not asked meanwhile, its grain is busy with that call.
            Assert.Equal(SessionStatus.Terminated, (await session.Terminate(force: false)).Status);
        }
        finally
        {
            letGo();
        }
        await Eventually.True(async () => (await folder.Get())!.MountedBy.Length == 0, "the folder is released");
        Assert.True(await folder.Delete());
    }

    [Fact]
    public async Task A_session_whose_folder_release_failed_still_ends_and_releases_it_later()
    {
        var (folder, session, running) = await RunningWithAFolder();
        CallFaults.Shared.FailDetach(running.Id, times: 1);

        // The end stands although the folder's grain did not answer; the folder is released by a retry.
        Assert.Equal(SessionStatus.Terminated, (await session.Terminate(force: false)).Status);
        Assert.Equal(0, CallFaults.Shared.Remaining(running.Id));
        await Eventually.True(async () => (await folder.Get())!.MountedBy.Length == 0, "the folder is released");
        Assert.True(await folder.Delete());
    }

    /// <summary>A running session of a new user that mounts that user's folder "data".</summary>
    private async Task<(IFolderGrain Folder, ISessionGrain Session, SessionView Running)> RunningWithAFolder()
    {
        var owner = UserIds.NewApiUser();
        var folder = fixture.Client.GetGrain<IFolderGrain>(FolderKey.Of(owner, "data"));
        await folder.Create();
        var session = fixture.Client.GetGrain<ISessionGrain>(Guid.NewGuid().ToString("N"));
        await session.Create(Sessions.Spec("burst", cpuMilli: 500, owner: owner) with { Mounts = [new MountSpec("data", "/home/work/data", false)] });
        return (folder, session, await Sessions.WaitFor(session, SessionStatus.Running));
    }
}
