using System.Security.Cryptography;

namespace Granary.Users;

/// <summary>
/// User ids. They start with an upper-case letter, which no user name does, so an id can never be mistaken for a
/// name (folders live under {root}/{id}/, and the old layout {root}/{name}/ is told apart by that).
/// API-created users: "U" and 24 random hex digits, new at every creation. Users declared in configuration:
/// "C-" and their name (the operator's configuration is their identity). The admin key: "A-admin".
/// </summary>
public static class UserIds
{
    public const string Admin = "A-admin";
    private const string ConfiguredPrefix = "C-";

    public static string NewApiUser() => "U" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    public static string Configured(string name) => ConfiguredPrefix + name;

    /// <summary>Ids the directory does not hold a record for: the admin key and configured users.</summary>
    public static bool IsExternal(string id) => id == Admin || id.StartsWith(ConfiguredPrefix, StringComparison.Ordinal);

    /// <summary>A well-formed id: an upper-case letter, then letters, digits, '.', '_' or '-' (at most 64).</summary>
    public static bool IsWellFormed(string? id)
        => id is { Length: > 1 and <= 64 } && char.IsAsciiLetterUpper(id[0])
           && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
