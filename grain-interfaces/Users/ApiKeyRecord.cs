namespace Granary.Users;

/// <summary>
/// One API key of a user: only the SHA-256 of the secret is kept (the secret is 256 random bits, so a fast hash
/// cannot be brute-forced and a slow one would only slow every request). ExpiresAt null: it does not expire.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ApiKeyRecord(
    [property: Id(0)] string Id,
    [property: Id(1)] string UserId,
    [property: Id(2)] string Name,
    [property: Id(3)] string Hash,
    [property: Id(4)] DateTimeOffset CreatedAt,
    [property: Id(5)] DateTimeOffset? ExpiresAt)
{
    public bool IsExpired(DateTimeOffset now) => ExpiresAt is { } expiry && expiry <= now;
}

/// <summary>A key found by its hash, and its user when the user lives in the directory (null for the admin key's
/// and configured users' ids, which the gateway knows from its configuration).</summary>
[GenerateSerializer, Immutable]
public sealed record ResolvedKey(
    [property: Id(0)] ApiKeyRecord Key,
    [property: Id(1)] UserRecord? User);
