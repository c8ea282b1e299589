namespace Granary.Sessions;

/// <summary>
/// The ids of one owner's sessions (key: owner). The key "*" indexes every session, for admins.
/// </summary>
public interface ISessionIndexGrain : IGrainWithStringKey
{
    public const string AllKey = "*";

    Task Add(string sessionId);

    Task<IReadOnlyList<string>> List();
}
