using System.Runtime.Versioning;

namespace Granary.Folders;

/// <summary>Folders as directories {root}/{owner}/{name}, owned by the session user (uid/gid 1000) so the
/// container's "work" user can write to them.</summary>
public sealed class LocalFolderStorage(string root, int uid = 1000, int gid = 1000) : IFolderStorage
{
    public string Root { get; } = Path.GetFullPath(root);

    public string Ensure(string owner, string name)
    {
        var path = PathOf(owner, name);
        if (!Directory.Exists(path))
        {
            Directory.CreateDirectory(path);
            if (RunsAsRoot)
                GiveToSessionUser(path);
        }
        return path;
    }

    public void Delete(string owner, string name)
    {
        var path = PathOf(owner, name);
        if (Directory.Exists(path))
            Directory.Delete(path, recursive: true);
    }

    private string PathOf(string owner, string name)
    {
        FolderNames.EnsureValid(owner, nameof(owner));
        FolderNames.EnsureValid(name, nameof(name));
        return Path.Combine(Root, owner, name);
    }

    [SupportedOSPlatformGuard("linux")]
    private static bool RunsAsRoot => OperatingSystem.IsLinux() && Environment.UserName == "root";

    [SupportedOSPlatform("linux")]
    private void GiveToSessionUser(string path)
    {
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        if (LibC.chown(path, uid, gid) != 0)
            throw new IOException($"chown {uid}:{gid} {path} failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}).");
    }
}
