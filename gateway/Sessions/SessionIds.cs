using System.Text.RegularExpressions;

namespace Granary.Gateway.Sessions;

public static partial class SessionIds
{
    /// <summary>Ids that could name a session; anything else is a 404 without asking a grain.</summary>
    public static bool IsWellFormed(string id) => Regex().IsMatch(id);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex Regex();
}
