namespace Granary.Sessions;

/// <summary>
/// The ids of one owner's sessions (key: owner). The key "*" indexes every session, for admins.
/// List returns each id once, in no particular order (callers sort the sessions they load).
/// </summary>
public interface ISessionIndexGrain : IGrainWithStringKey
{
    public const string AllKey = "*";

    Task Add(string sessionId);

    Task<IReadOnlyList<string>> List();
}
