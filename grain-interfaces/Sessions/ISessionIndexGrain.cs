namespace Granary.Sessions;

/// <summary>
/// The ids of one owner's sessions (key: owner), and each session as it last told the index. The key "*" lists
/// every session, for admins: it knows the owners and merges their indexes. List and ListViews return each session
/// once, in no particular order (callers sort).
/// </summary>
public interface ISessionIndexGrain : IGrainWithStringKey
{
    public const string AllKey = "*";

    Task Add(string sessionId);

    Task<IReadOnlyList<string>> List();

    /// <summary>The sessions as they are now: a list is one call to the index, not one per session.</summary>
    Task<IReadOnlyList<SessionView>> ListViews();

    /// <summary>A session's new view, sent by the session after each stored change (also adds its id).</summary>
    Task Publish(IndexedSession session);

    /// <summary>On an owner's index: one of its shards changed, so its next list asks the shards again.</summary>
    Task ShardChanged();

    /// <summary>On "*": remembers an owner whose index "*" lists. Idempotent.</summary>
    Task AddOwner(string owner);
}
