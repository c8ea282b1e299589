namespace Granary.Folders;

public static class FolderKey
{
    public static string Of(string owner, string name) => $"{owner}/{name}";

    public static (string Owner, string Name) Parse(string key)
    {
        var slash = key.IndexOf('/');
        if (slash <= 0 || slash == key.Length - 1)
            throw new ArgumentException($"'{key}' is not a folder key (owner/name).", nameof(key));
        return (key[..slash], key[(slash + 1)..]);
    }
}
