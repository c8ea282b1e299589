namespace Granary.Sessions;

/// <summary>
/// A service a running session offers (jupyter, terminal, tensorboard, ssh …): its protocol
/// ("http", "tcp"), and where the node publishes it (host and port reachable from the gateway).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record AppEndpoint(
    [property: Id(0)] string Name,
    [property: Id(1)] string Protocol,
    [property: Id(2)] string Host,
    [property: Id(3)] int Port);
