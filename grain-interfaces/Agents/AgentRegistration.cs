namespace Granary.Agents;

/// <summary>What an agent silo declares about one of its nodes when it starts.</summary>
[GenerateSerializer, Immutable]
public sealed record AgentRegistration(
    [property: Id(0)] string AgentId,
    [property: Id(1)] string ResourceGroup,
    [property: Id(2)] AgentCapacity Capacity,
    [property: Id(3)] string Runtime,
    [property: Id(4)] string Host);
