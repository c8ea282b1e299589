using Granary.Policies;
using Granary.Sessions;
using Orleans.Core.Internal;

namespace Granary.ClusterTests;

/// <summary>Resource policies at the grains: admission serialised per user, queueing, lifetime and idle ends.</summary>
[Collection(ClusterCollection.Name)]
public sealed class QuotaTests(ClusterFixture fixture)
{
    private static string NewOwner() => "Uquota" + Guid.NewGuid().ToString("N")[..12];

    private static SessionSpec Spec(string owner, ResourcePolicy policy) =>
        Sessions.Spec("spine", cpuMilli: 500, memoryBytes: Sessions.GiB / 2, owner: owner) with { Policy = policy };

    [Fact]
    public async Task Two_hundred_concurrent_creates_under_a_limit_of_three_leave_exactly_three_running()
    {
        var owner = NewOwner();
        var policy = new ResourcePolicy("three", MaxConcurrentSessions: 3);
        var ids = Enumerable.Range(0, 200).Select(_ => Guid.NewGuid().ToString("N")).ToArray();

        var outcomes = await Task.WhenAll(ids.Select(async id =>
        {
            try
            {
                await fixture.Client.GetGrain<ISessionGrain>(id).Create(Spec(owner, policy));
                return "created";
            }
            catch (QuotaRefusedException e)
            {
                return e.Limit;
            }
        }));

        Assert.Equal(3, outcomes.Count(o => o == "created"));
        Assert.Equal(197, outcomes.Count(o => o == "maxConcurrentSessions"));
        var created = ids.Where((_, i) => outcomes[i] == "created").Select(id => fixture.Client.GetGrain<ISessionGrain>(id)).ToArray();
        await Task.WhenAll(created.Select(s => Sessions.WaitFor(s, SessionStatus.Running)));
        // Refused creates stored nothing.
        Assert.All(await Task.WhenAll(ids.Where((_, i) => outcomes[i] != "created").Take(20)
            .Select(id => fixture.Client.GetGrain<ISessionGrain>(id).Get())), Assert.Null);
        var quota = fixture.Client.GetGrain<IUserQuotaGrain>(owner);
        Assert.Equal(3, (await quota.Usage()).Sessions);
        Assert.Equal(3, (await fixture.Client.GetGrain<ISessionIndexGrain>(owner).List()).Count);

        await created[0].Terminate(force: false);
        Assert.Equal(2, (await quota.Usage()).Sessions);
        var another = await Sessions.Create(fixture.Client, Spec(owner, policy));
        await Sessions.WaitFor(another, SessionStatus.Running);
        await Task.WhenAll(created.Skip(1).Append(another).Select(s => s.Terminate(force: false)));
        Assert.Equal(new QuotaUsage(0, 0, 0, 0, 0, 0, 0), await quota.Usage());
    }

    [Fact]
    public async Task Over_a_queueing_policy_a_session_waits_pending_with_the_limit_and_starts_when_room_is_made()
    {
        var owner = NewOwner();
        var policy = new ResourcePolicy("one-queued", MaxConcurrentSessions: 1, OverLimit: OverLimit.Queue);
        var first = await Sessions.Create(fixture.Client, Spec(owner, policy));
        await Sessions.WaitFor(first, SessionStatus.Running);

        var second = await Sessions.Create(fixture.Client, Spec(owner, policy));
        var waiting = (await second.Get())!;
        Assert.Equal(SessionStatus.Pending, waiting.Status);
        Assert.Contains("maxConcurrentSessions", waiting.StatusReason);
        Assert.Equal(1, (await fixture.Client.GetGrain<IUserQuotaGrain>(owner).Usage()).Queued);

        await first.Terminate(force: false);
        await Sessions.WaitFor(second, SessionStatus.Running);
        await second.Terminate(force: false);
    }

    [Fact]
    public async Task An_admission_whose_session_was_never_stored_is_given_back()
    {
        var owner = NewOwner();
        var spec = Spec(owner, new ResourcePolicy("one", MaxConcurrentSessions: 1));
        var quota = fixture.Client.GetGrain<IUserQuotaGrain>(owner);
        // As a create whose manager died after the admission, before the session was stored.
        var admission = await quota.Admit(new QuotaRequest(Guid.NewGuid().ToString("N"), spec.Resources, spec.ResourceGroup, spec.Image, spec.Policy!));
        Assert.Equal(AdmissionOutcome.Admitted, admission.Outcome);

        await Eventually.Value(quota.Usage, usage => usage.Sessions == 0, "the admission given back");
        var session = await Sessions.Create(fixture.Client, spec);
        await Sessions.WaitFor(session, SessionStatus.Running);
        await session.Terminate(force: false);
    }

    [Fact]
    public async Task A_session_stored_by_a_create_whose_activation_was_lost_is_brought_back_by_its_quota()
    {
        var owner = NewOwner();
        var id = Guid.NewGuid().ToString("N");
        var session = fixture.Client.GetGrain<ISessionGrain>(id);
        CallFaults.Shared.FailEnqueue(id, times: 1000);
        CallFaults.Shared.FailPublish(id, SessionStatus.Pending, times: 1000);
        await Assert.ThrowsAnyAsync<Exception>(() => session.Create(Spec(owner, ResourcePolicy.Unlimited)));
        // As when its manager dies: the activation and its retries are gone; nothing lists, queues or calls it.
        await session.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        await Task.Delay(TimeSpan.FromSeconds(1));
        CallFaults.Shared.FailEnqueue(id, times: 0);
        CallFaults.Shared.FailPublish(id, SessionStatus.Pending, times: 0);

        // Only the quota is asked, so that nothing the test does activates the session.
        var quota = fixture.Client.GetGrain<IUserQuotaGrain>(owner);
        await Eventually.Value(quota.Usage, usage => usage is { Sessions: 1, Pending: 0 }, "the session started");
        Assert.Equal(SessionStatus.Running, (await session.Get())!.Status);
        Assert.Equal(id, Assert.Single(await fixture.Client.GetGrain<ISessionIndexGrain>(owner).List()));
        await session.Terminate(force: false);
    }

    [Fact]
    public async Task Max_lifetime_ends_a_running_session_with_the_reason()
    {
        var session = await Sessions.Create(fixture.Client, Spec(NewOwner(), new ResourcePolicy("short", MaxLifetime: TimeSpan.FromSeconds(2))));
        await Sessions.WaitFor(session, SessionStatus.Running);

        var ended = await Sessions.WaitFor(session, SessionStatus.Terminated);

        Assert.Contains("maxLifetime", ended.StatusReason);
        Assert.True(ended.TerminatedAt - ended.StartedAt >= TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Max_lifetime_ends_a_session_whose_activation_and_timer_were_lost_as_in_a_restart()
    {
        var owner = NewOwner();
        var session = await Sessions.Create(fixture.Client, Spec(owner, new ResourcePolicy("restarted", MaxLifetime: TimeSpan.FromSeconds(3))));
        await Sessions.WaitFor(session, SessionStatus.Running);

        // As after a manager restart: the activation and its limit timer are gone, and nothing calls the session
        // (its owner's index answers from the views the session published).
        await session.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var index = fixture.Client.GetGrain<ISessionIndexGrain>(owner);
        var ended = await Eventually.Value(async () => (await index.ListViews()).Single(), v => v.Status == SessionStatus.Terminated,
            "the session ended by its reminder");

        Assert.Contains("maxLifetime", ended.StatusReason);
    }

    [Fact]
    public async Task Idle_timeout_ends_a_session_only_once_nobody_uses_it()
    {
        var session = await Sessions.Create(fixture.Client, Spec(NewOwner(), new ResourcePolicy("idle", IdleTimeout: TimeSpan.FromSeconds(2))));
        await Sessions.WaitFor(session, SessionStatus.Running);

        var usedUntil = DateTime.UtcNow + TimeSpan.FromSeconds(4);
        while (DateTime.UtcNow < usedUntil)
        {
            await session.Touched();
            await Task.Delay(300);
        }
        Assert.Equal(SessionStatus.Running, (await session.Get())!.Status);

        var ended = await Sessions.WaitFor(session, SessionStatus.Terminated);
        Assert.Contains("idleTimeout", ended.StatusReason);
    }
}
