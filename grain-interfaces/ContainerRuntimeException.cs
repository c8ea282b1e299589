namespace Granary;

/// <summary>
/// A node's container runtime (Docker) failed an operation; the message says which and why, the engine's own
/// message included. Thrown instead of the driver's exceptions, which have no Orleans codec and could not reach the
/// gateway (so it keeps none as its inner exception): it crosses grains and answers 503, as the node may recover.
/// </summary>
[GenerateSerializer]
public sealed class ContainerRuntimeException(string message) : Exception(message);
