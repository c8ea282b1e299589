using System.Runtime.InteropServices;
using Granary.Folders;

namespace Granary.Silo.Adapters.Storage;

/// <summary>
/// Folder storage whose root is a nosuid,nodev mount, so a set-user-id file or a device node that a session writes
/// into a folder has no effect: neither in a container (a bind mount of a folder keeps its mount's flags) nor on the
/// host. The root is bound onto itself and remounted with those flags before a folder is handed out (checked every
/// time: cheap, and it survives another process unmounting it), and unmounted again when this storage is disposed
/// (the agent stops): every mount this process stacked there, so an agent that died in this process (a test's killed
/// silo) leaves nothing behind once its successor stops. A root that already is a nosuid,nodev mount (the operator's
/// own) is used as it is and never unmounted. Needs root (CAP_SYS_ADMIN), as the Docker driver's agent has.
/// </summary>
public sealed class NoSuidFolderStorage(LocalFolderStorage inner) : IFolderStorage, IDisposable
{
    private static readonly Lock Mounting = new();
    private static readonly Dictionary<string, int> MountsMadeHere = [];

    public string Root => inner.Root;

    public string Ensure(string ownerId, string name)
    {
        EnsureRootMounted();
        return inner.Ensure(ownerId, name);
    }

    public void Delete(string ownerId, string name) => inner.Delete(ownerId, name);

    public void Move(string ownerId, string name, string toOwnerId, string toName) => inner.Move(ownerId, name, toOwnerId, toName);

    /// <summary>Makes Root a nosuid,nodev mount unless it already is one.</summary>
    public void EnsureRootMounted()
    {
        lock (Mounting)
        {
            Directory.CreateDirectory(Root);
            if (MountInfo.Options(Root) is { } options && options.Split(',').Contains("nosuid") && options.Split(',').Contains("nodev"))
                return;
            Check(Native.mount(Root, Root, null, Native.MS_BIND, IntPtr.Zero), $"bind {Root} onto itself");
            MountsMadeHere[Root] = MountsMadeHere.GetValueOrDefault(Root) + 1;
            Check(Native.mount(null, Root, null, Native.MS_REMOUNT | Native.MS_BIND | Native.MS_NOSUID | Native.MS_NODEV, IntPtr.Zero),
                $"remount {Root} nosuid,nodev");
        }
    }

    /// <summary>Unmounts the binds this process stacked on Root (lazily: running containers keep their own copies).</summary>
    public void Dispose()
    {
        lock (Mounting)
        {
            for (var left = MountsMadeHere.GetValueOrDefault(Root); left > 0; left--)
                Check(Native.umount2(Root, Native.MNT_DETACH), $"unmount {Root}");
            MountsMadeHere.Remove(Root);
        }
    }

    private static void Check(int result, string what)
    {
        if (result != 0)
            throw new IOException($"Folder storage: could not {what} (errno {Marshal.GetLastPInvokeError()}); " +
                "the agent needs root for nosuid folders (setting Granary:Folders:NoSuid=false turns them off).");
    }

    private static class Native
    {
        public const ulong MS_NOSUID = 2, MS_NODEV = 4, MS_REMOUNT = 32, MS_BIND = 4096;
        public const int MNT_DETACH = 2;

        [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)]
        public static extern int mount(string? source, string target, string? fileSystemType, ulong flags, IntPtr data);

        [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)]
        public static extern int umount2(string target, int flags);
    }
}

/// <summary>Reads /proc/self/mountinfo: the top-most mount at a path.</summary>
public static class MountInfo
{
    /// <summary>The per-mount options (e.g. "rw,nosuid,nodev,relatime") of the last mount at path, or null when path
    /// is not a mount point.</summary>
    public static string? Options(string path) => Last(path)?[5];

    private static string[]? Last(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd('/');
        return File.ReadLines("/proc/self/mountinfo")
            .Select(line => line.Split(' '))
            .LastOrDefault(fields => fields.Length > 5 && Unescape(fields[4]) == full);
    }

    private static string Unescape(string field) => System.Text.RegularExpressions.Regex.Replace(
        field, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());
}
