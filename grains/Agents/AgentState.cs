using Granary.Sessions;

namespace Granary.Agents;

/// <summary>An agent's persisted truth: its registration and every session it holds resources for.</summary>
[GenerateSerializer]
public sealed class AgentState
{
    [Id(0)] public AgentRegistration? Registration { get; set; }
    [Id(1)] public Dictionary<string, AgentSession> Sessions { get; set; } = [];
}

/// <summary>A session on this node: what it holds, its container, and how far its start has come.</summary>
[GenerateSerializer]
public sealed class AgentSession
{
    [Id(0)] public required Placement Placement { get; init; }
    [Id(1)] public required SessionSpec Spec { get; init; }
    [Id(2)] public string? ContainerId { get; set; }
    [Id(3)] public ContainerPhase Phase { get; set; }
    [Id(4)] public DateTimeOffset PhaseSince { get; set; }
    [Id(5)] public SshKey? SshKey { get; init; }
}

public enum ContainerPhase
{
    Reserved,
    Preparing,
    Pulling,
    Creating,
    Running,
}
