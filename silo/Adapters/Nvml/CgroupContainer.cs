using System.Text.RegularExpressions;

namespace Granary.Silo.Adapters.Nvml;

/// <summary>
/// Which container a host process belongs to, from its /proc/PID/cgroup: the last 64-hex-digit id in it. That
/// covers cgroup v1 (<c>12:memory:/docker/ID</c>), v2 with the systemd driver
/// (<c>0::/system.slice/docker-ID.scope</c>) and the cgroupfs driver (<c>0::/docker/ID</c>), and containerd's
/// (<c>…/cri-containerd-ID.scope</c>). NVML reports host PIDs, so the agent must see the host's /proc.
/// </summary>
public static partial class CgroupContainer
{
    public static string? IdOf(string cgroupText)
    {
        string? id = null;
        foreach (Match match in ContainerId().Matches(cgroupText))
            id = match.Groups[1].Value;
        return id;
    }

    /// <summary>The container of a running process, null when it has none or is gone.</summary>
    public static string? OfProcess(string procRoot, int pid)
    {
        try
        {
            return IdOf(File.ReadAllText(Path.Combine(procRoot, pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "cgroup")));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or IOException)
        {
            return null; // exited since NVML listed it, or not ours to read
        }
    }

    [GeneratedRegex(@"(?<![0-9a-f])([0-9a-f]{64})(?![0-9a-f])")]
    private static partial Regex ContainerId();
}
