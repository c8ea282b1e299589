using Granary.Sessions;
using Orleans.Core.Internal;

namespace Granary.ClusterTests;

[Collection(ClusterCollection.Name)]
public sealed class SessionIndexTests(ClusterFixture fixture)
{
    [Fact]
    public async Task An_owners_list_shows_every_change_at_once_though_the_front_keeps_the_last_merge()
    {
        var owner = "index-" + Guid.NewGuid().ToString("N")[..8];
        var index = fixture.Client.GetGrain<ISessionIndexGrain>(owner);
        // A resource group no node serves: the sessions stay PENDING until they are cancelled.
        var first = await Sessions.Create(fixture.Client, Sessions.Spec("index-nowhere", owner: owner));
        Assert.Equal([first.GetPrimaryKeyString()], (await index.ListViews()).Select(v => v.Id));
        Assert.Equal([first.GetPrimaryKeyString()], (await index.ListViews()).Select(v => v.Id)); // from the front's merge

        var second = await Sessions.Create(fixture.Client, Sessions.Spec("index-nowhere", owner: owner));
        Assert.Equal(
            new[] { first.GetPrimaryKeyString(), second.GetPrimaryKeyString() }.Order(),
            (await index.ListViews()).Select(v => v.Id).Order());

        var cancelled = await first.Terminate(force: false);
        Assert.Equal(SessionStatus.Cancelled, cancelled.Status);
        var views = await index.ListViews();
        Assert.Equal(SessionStatus.Cancelled, views.Single(v => v.Id == first.GetPrimaryKeyString()).Status);
        Assert.Equal(SessionStatus.Pending, views.Single(v => v.Id == second.GetPrimaryKeyString()).Status);

        // A new activation of the front merges its shards again.
        await index.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        Assert.Equal(
            views.Select(v => (v.Id, v.Status)).Order(),
            (await index.ListViews()).Select(v => (v.Id, v.Status)).Order());
        await second.Terminate(force: false);
    }
}
