using System.Text.RegularExpressions;

namespace Granary.Folders;

/// <summary>Folder and owner names: 1–64 characters of letters, digits, '.', '_' and '-', not starting with '.'
/// (they become directory names and mount paths, so nothing that could climb out of the storage root).</summary>
public static partial class FolderNames
{
    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    public static void EnsureValid(string name, string parameter)
    {
        if (!IsValid(name))
            throw new ArgumentException($"'{name}' is not a valid name: use 1-64 letters, digits, '.', '_' or '-', not starting with '.'.", parameter);
    }

    [GeneratedRegex("^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex Pattern();
}
