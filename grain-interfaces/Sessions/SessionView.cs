using Granary.Resources;

namespace Granary.Sessions;

/// <summary>What a session looks like to its owner and to the REST API.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionView(
    [property: Id(0)] string Id,
    [property: Id(1)] SessionSpec Spec,
    [property: Id(2)] SessionStatus Status,
    [property: Id(3)] string? StatusReason,
    [property: Id(4)] string? AgentId,
    [property: Id(5)] GpuShare[] Gpus,
    [property: Id(6)] DateTimeOffset CreatedAt,
    [property: Id(7)] DateTimeOffset? StartedAt,
    [property: Id(8)] DateTimeOffset? TerminatedAt,
    [property: Id(9)] int? ExitCode,
    [property: Id(10)] AppEndpoint[] Apps,
    [property: Id(11)] string? ContainerId,
    [property: Id(12)] DateTimeOffset? NodeUnreachableSince = null);
