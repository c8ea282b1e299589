using System.Runtime.Versioning;
using Granary.Users;
using Microsoft.Extensions.Logging;

namespace Granary.Folders;

/// <summary>Folders as directories {root}/{owner id}/{name}, owned by the session user as the host sees it (uid/gid
/// 1000, or 1000 above the base of the container engine's user namespace mapping) so the container's "work" user
/// can write to them.</summary>
public sealed class LocalFolderStorage(string root, int uid = 1000, int gid = 1000) : IFolderStorage
{
    /// <summary>Where folders of the layout before user ids ({root}/{user name}/…) are moved, kept for an admin.</summary>
    public const string UnclaimedDirectory = "_unclaimed";

    public string Root { get; } = Path.GetFullPath(root);

    public string Ensure(string ownerId, string name)
    {
        var path = PathOf(ownerId, name);
        var created = !Directory.Exists(path);
        if (created)
            Directory.CreateDirectory(path);
        if (RunsAsRoot)
            GiveToSessionUser(path, created);
        return path;
    }

    public void Delete(string ownerId, string name)
    {
        var path = PathOf(ownerId, name);
        if (Directory.Exists(path))
            Directory.Delete(path, recursive: true);
    }

    public void Move(string ownerId, string name, string toOwnerId, string toName)
    {
        var from = PathOf(ownerId, name);
        var to = PathOf(toOwnerId, toName);
        if (Directory.Exists(to))
            throw new IOException($"The folder directory {to} already exists.");
        if (!Directory.Exists(from))
            return;
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        Directory.Move(from, to);
    }

    /// <summary>
    /// The layout before user ids kept folders under {root}/{user name}/: a user created later with the same name
    /// would have found them. Such directories (their names are user names, which never look like ids) move to
    /// {root}/_unclaimed/{name}/ where nobody's session reaches them; an admin hands them over by moving a folder
    /// to {root}/{user id}/ and creating it through the API. Nothing is deleted. Returns the directories moved.
    /// </summary>
    public IReadOnlyList<string> MoveLegacyFolders(ILogger logger)
    {
        if (!Directory.Exists(Root))
            return [];
        var moved = new List<string>();
        foreach (var directory in Directory.GetDirectories(Root))
        {
            var name = Path.GetFileName(directory);
            if (UserIds.IsWellFormed(name) || name == UnclaimedDirectory)
                continue;
            var target = Path.Combine(Root, UnclaimedDirectory, name);
            if (Directory.Exists(target))
                target += "." + DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            Directory.CreateDirectory(Path.Combine(Root, UnclaimedDirectory));
            try
            {
                Directory.Move(directory, target);
            }
            catch (DirectoryNotFoundException)
            {
                // Another silo sharing this root moved it first.
                continue;
            }
            logger.LogWarning("Folders of the user-name layout {Directory} moved to {Target}: they belong to no user id; an admin hands them over", directory, target);
            moved.Add(target);
        }
        return moved;
    }

    private string PathOf(string ownerId, string name)
    {
        if (!UserIds.IsWellFormed(ownerId))
            throw new ArgumentException($"'{ownerId}' is not a user id.", nameof(ownerId));
        FolderNames.EnsureValid(name, nameof(name));
        return Path.Combine(Root, ownerId, name);
    }

    [SupportedOSPlatformGuard("linux")]
    private static bool RunsAsRoot => OperatingSystem.IsLinux() && Environment.UserName == "root";

    /// <summary>Sets a new folder's mode, and (every time: another silo may have made it, or a node of another user
    /// mapping) its owner.</summary>
    [SupportedOSPlatform("linux")]
    private void GiveToSessionUser(string path, bool created)
    {
        if (created)
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        if (LibC.chown(path, uid, gid) != 0)
            throw new IOException($"chown {uid}:{gid} {path} failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}).");
    }
}
