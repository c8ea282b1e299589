using Granary.Sessions;
using Granary.Silo.Adapters.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;

namespace Granary.ClusterTests;

/// <summary>The all-in-one's grain storage: what a grain stores is a copy, later changes to the live state do not
/// leak into it, and a stale activation cannot overwrite a newer state.</summary>
public sealed class InProcessGrainStorageTests
{
    private static readonly GrainId Grain = GrainId.Create("session", "s-1");
    private readonly InProcessGrainStorage _storage =
        new(new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<DeepCopier>());

    [Fact]
    public async Task A_read_returns_what_was_written_and_later_changes_to_the_live_state_do_not_leak_into_it()
    {
        var live = new GrainState<SessionState>(new SessionState { Status = SessionStatus.Pending });
        live.State!.Events.Add(new SessionEvent(1, SessionStatus.Pending, "waiting", DateTimeOffset.UnixEpoch));
        await _storage.WriteStateAsync("session", Grain, live);

        live.State!.Status = SessionStatus.Running;
        live.State!.Events.Add(new SessionEvent(2, SessionStatus.Running, null, DateTimeOffset.UnixEpoch));

        var read = new GrainState<SessionState>();
        await _storage.ReadStateAsync("session", Grain, read);
        Assert.True(read.RecordExists);
        Assert.Equal(live.ETag, read.ETag);
        Assert.Equal(SessionStatus.Pending, read.State!.Status);
        Assert.Equal([SessionStatus.Pending], read.State!.Events.Select(e => e.Status));

        // And what a reader changes is its own, too.
        read.State!.Events.Clear();
        var again = new GrainState<SessionState>();
        await _storage.ReadStateAsync("session", Grain, again);
        Assert.Single(again.State!.Events);
    }

    [Fact]
    public async Task A_writer_with_a_stale_etag_is_refused_and_changes_nothing()
    {
        var first = new GrainState<SessionState>(new SessionState { Status = SessionStatus.Pending });
        await _storage.WriteStateAsync("session", Grain, first);
        var stale = new GrainState<SessionState>(new SessionState { Status = SessionStatus.Error }) { ETag = first.ETag };

        first.State!.Status = SessionStatus.Scheduled;
        await _storage.WriteStateAsync("session", Grain, first);

        await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.WriteStateAsync("session", Grain, stale));
        await Assert.ThrowsAsync<InconsistentStateException>(() =>
            _storage.WriteStateAsync("session", Grain, new GrainState<SessionState>(new SessionState())));
        var read = new GrainState<SessionState>();
        await _storage.ReadStateAsync("session", Grain, read);
        Assert.Equal(SessionStatus.Scheduled, read.State!.Status);
    }

    [Fact]
    public async Task Cleared_state_reads_as_new_and_states_are_kept_apart_by_name_and_grain()
    {
        var state = new GrainState<SessionState>(new SessionState { Status = SessionStatus.Running });
        await _storage.WriteStateAsync("session", Grain, state);
        var other = new GrainState<SessionState>(new SessionState { Status = SessionStatus.Pending });
        await _storage.WriteStateAsync("session", GrainId.Create("session", "s-2"), other);

        await _storage.ClearStateAsync("session", Grain, state);

        var read = new GrainState<SessionState>();
        await _storage.ReadStateAsync("session", Grain, read);
        Assert.False(read.RecordExists);
        Assert.Null(read.ETag);
        Assert.Null(read.State!.Spec);
        var otherRead = new GrainState<SessionState>();
        await _storage.ReadStateAsync("session", GrainId.Create("session", "s-2"), otherRead);
        Assert.Equal(SessionStatus.Pending, otherRead.State!.Status);
        var otherName = new GrainState<SessionState>();
        await _storage.ReadStateAsync("other", GrainId.Create("session", "s-2"), otherName);
        Assert.False(otherName.RecordExists);
    }
}
