namespace Granary.Sessions;

/// <summary>
/// A service a running session offers (jupyter, terminal, tensorboard, ssh …): its protocol
/// ("http", "tcp"), where the node publishes it (host and port reachable from the gateway), and whether it
/// answers yet (the agent probes it after the container starts).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record AppEndpoint(
    [property: Id(0)] string Name,
    [property: Id(1)] string Protocol,
    [property: Id(2)] string Host,
    [property: Id(3)] int Port,
    [property: Id(4)] AppState State = AppState.Starting);
