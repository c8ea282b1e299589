namespace Granary.Users;

/// <summary>A user created through the API. Only the SHA-256 hash of the API key is kept.</summary>
[GenerateSerializer, Immutable]
public sealed record UserRecord(
    [property: Id(0)] string Name,
    [property: Id(1)] string Role,
    [property: Id(2)] string KeyHash,
    [property: Id(3)] DateTimeOffset CreatedAt);
