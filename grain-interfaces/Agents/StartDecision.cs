namespace Granary.Agents;

/// <summary>The agent's answer to a placement: accepted, or refused with the reason.</summary>
[GenerateSerializer, Immutable]
public sealed record StartDecision([property: Id(0)] bool Accepted, [property: Id(1)] string? Reason = null);
