namespace Granary.Sessions;

/// <summary>
/// The ids of one owner's sessions (key: owner). The key "*" lists every session, for admins: it knows the owners
/// and merges their indexes. List returns each id once, in no particular order (callers sort the sessions they load).
/// </summary>
public interface ISessionIndexGrain : IGrainWithStringKey
{
    public const string AllKey = "*";

    Task Add(string sessionId);

    Task<IReadOnlyList<string>> List();

    /// <summary>On "*": remembers an owner whose index "*" lists. Idempotent.</summary>
    Task AddOwner(string owner);
}
