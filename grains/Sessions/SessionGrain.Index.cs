using Microsoft.Extensions.Logging;

namespace Granary.Sessions;

/// <summary>The owner's index holds a copy of this session's view, published after every stored change.</summary>
public sealed partial class SessionGrain
{
    private static readonly TimeSpan PublishRetryInterval = TimeSpan.FromSeconds(2);
    private RetryUntilDone? _publishRetry;
    private ISessionIndexGrain? _indexShard;

    /// <summary>The index is a copy of what is stored, so a failed publish (the shard's manager just died) must not
    /// stop the session's next step: an Assign whose publish threw stored SCHEDULED and never asked its agent to
    /// start. The latest view is published again every few seconds until the index has it.</summary>
    private async Task PublishOrRetry()
    {
        try
        {
            await Publish();
        }
        catch (Exception exception)
        {
            Log.LogWarning(exception, "Session {Session}: publishing to its index failed; trying again every {Interval}", Id, PublishRetryInterval);
            PublishLater(PublishRetryInterval);
        }
    }

    /// <summary>A newer view published meanwhile makes the retry a harmless repeat (the index keeps the highest
    /// revision).</summary>
    private void PublishLater(TimeSpan due) =>
        (_publishRetry ??= new RetryUntilDone(this, Publish, PublishRetryInterval, Log, $"Session {Id}: publishing to its index")).Start(due);

    /// <summary>Straight to the owner's shard that holds this id (see SessionIndexGrain), saving a hop through the front.</summary>
    private Task Publish() => IndexShard.Publish(new IndexedSession(View(), S.Revision));

    /// <summary>Made once per activation: the owner never changes, and the key is a new string each time.</summary>
    private ISessionIndexGrain IndexShard => _indexShard ??= GrainFactory.Ref<ISessionIndexGrain>(SessionIndexGrain.ShardKey(S.Spec!.Owner, Id));
}
