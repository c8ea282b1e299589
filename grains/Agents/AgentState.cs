using System.Collections.Immutable;
using Granary.Sessions;

namespace Granary.Agents;

/// <summary>An agent's persisted truth: its registration and every session it holds resources for. The sessions are
/// immutable, so storing the state shares them instead of copying each one.</summary>
[GenerateSerializer]
public sealed class AgentState
{
    [Id(0)] public AgentRegistration? Registration { get; set; }
    [Id(1)] public ImmutableDictionary<string, AgentSession> Sessions { get; set; } = ImmutableDictionary<string, AgentSession>.Empty;
}

/// <summary>A session on this node: what it holds, its container, and how far its start has come.</summary>
[GenerateSerializer, Immutable]
public sealed record AgentSession(
    [property: Id(0)] Placement Placement,
    [property: Id(1)] SessionSpec Spec,
    [property: Id(2)] string? ContainerId,
    [property: Id(3)] ContainerPhase Phase,
    [property: Id(4)] DateTimeOffset PhaseSince,
    [property: Id(5)] SshKey? SshKey,
    [property: Id(6)] string? AppSecret = null);

public enum ContainerPhase
{
    Reserved,
    Preparing,
    Pulling,
    Creating,
    Running,
}
