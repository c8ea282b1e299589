using Granary.Sessions;

namespace Granary.Agents.Launch;

/// <summary>What a container that exited by itself means for its session: a batch session ends TERMINATED, an
/// interactive one ERROR (nobody asked it to stop); a container killed for its memory limit says so.</summary>
public static class ExitReport
{
    public static RuntimeReport For(SessionType type, string containerId, int exitCode, bool oomKilled)
    {
        var reason = oomKilled
            ? $"container killed for exceeding its memory limit (exit code {exitCode})"
            : $"container exited with code {exitCode}";
        var status = type == SessionType.Batch ? SessionStatus.Terminated : SessionStatus.Error;
        return new RuntimeReport(status, reason, exitCode, containerId);
    }
}
