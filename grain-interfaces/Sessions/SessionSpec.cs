using Granary.Policies;
using Granary.Resources;

namespace Granary.Sessions;

/// <summary>A validated request to create a session (the gateway has already parsed and checked it). Owner is the
/// owner's user id (what everything is keyed by); OwnerName the name it had then, for display. Policy is the owner's
/// resource policy when the session was created.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionSpec(
    [property: Id(0)] string Name,
    [property: Id(1)] string Owner,
    [property: Id(2)] string Image,
    [property: Id(3)] SessionType Type,
    [property: Id(4)] ResourceRequest Resources,
    [property: Id(5)] string ResourceGroup,
    [property: Id(6)] MountSpec[] Mounts,
    [property: Id(7)] Dictionary<string, string> Env,
    [property: Id(8)] string[]? Command = null,
    [property: Id(9)] int Priority = 0,
    [property: Id(10)] string? OwnerName = null,
    [property: Id(11)] ResourcePolicy? Policy = null);
