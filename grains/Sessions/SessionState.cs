using Granary.Agents;

namespace Granary.Sessions;

/// <summary>A session's persisted state: what was asked, where it runs, how it went, and every status change.</summary>
[GenerateSerializer]
public sealed class SessionState
{
    [Id(0)] public SessionSpec? Spec { get; set; }
    [Id(1)] public SessionStatus Status { get; set; }
    [Id(2)] public string? StatusReason { get; set; }
    [Id(3)] public Placement? Placement { get; set; }
    [Id(4)] public DateTimeOffset CreatedAt { get; set; }
    [Id(5)] public DateTimeOffset? StartedAt { get; set; }
    [Id(6)] public DateTimeOffset? TerminatedAt { get; set; }
    [Id(7)] public int? ExitCode { get; set; }
    [Id(8)] public AppEndpoint[] Apps { get; set; } = [];
    [Id(9)] public string? ContainerId { get; set; }
    [Id(10)] public List<SessionEvent> Events { get; set; } = [];

    /// <summary>The session's own SSH key pair, made before its first start when its image serves ssh.</summary>
    [Id(11)] public SshKey? SshKey { get; set; }

    /// <summary>The token the session's http apps require, made before its first start; only the app proxy sends it.</summary>
    [Id(12)] public string? AppSecret { get; set; }

    /// <summary>PENDING because the owner's resource policy queued it (not yet at the scheduler).</summary>
    [Id(13)] public bool AwaitingQuota { get; set; }

    /// <summary>Set while the session's node is lost: the time of the node's last heartbeat.</summary>
    [Id(14)] public DateTimeOffset? NodeUnreachableSince { get; set; }

    /// <summary>Counts stored changes (see <see cref="IndexedSession"/>).</summary>
    [Id(15)] public long Revision { get; set; }

    /// <summary>Ended, but leaving its scheduler, quota or folders failed: retried until done (see Ended).</summary>
    [Id(16)] public bool ReleasePending { get; set; }
}
