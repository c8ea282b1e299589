using System.Text.RegularExpressions;

namespace Granary.Gateway.Auth;

public static partial class UserNames
{
    public const string Pattern = "^[a-z][a-z0-9._-]{0,31}$";

    public static bool IsValid(string? name) => name is not null && Regex().IsMatch(name);

    [GeneratedRegex(Pattern)]
    private static partial Regex Regex();
}
