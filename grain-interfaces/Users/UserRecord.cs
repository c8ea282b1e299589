namespace Granary.Users;

/// <summary>
/// A user created through the API. Id is given at creation and never changes or returns; Name is a label that a
/// later user may reuse after this one is deleted. Everything a user owns (sessions, folders, keys) is keyed by Id.
/// Scheduling rights are the admin's to set: ResourceGroups the user may use (null: only the default group) and
/// the highest priority they may ask for (0: only the default). Policy names the resource policy (null: "default").
/// </summary>
[GenerateSerializer, Immutable]
public sealed record UserRecord(
    [property: Id(0)] string Name,
    [property: Id(1)] string Role,
    // Only in state stored before users had several keys: the hash of their one key (moved to a key on
    // activation of the directory).
    [property: Id(2)] string? LegacyKeyHash,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] string Id = "",
    [property: Id(5)] string? Policy = null,
    [property: Id(6)] string[]? ResourceGroups = null,
    [property: Id(7)] int MaxPriority = 0);

/// <summary>What an admin may change on a user (PATCH /v1/users/{name}); a null field keeps its value.</summary>
[GenerateSerializer, Immutable]
public sealed record UserChanges(
    [property: Id(0)] string? Role = null,
    [property: Id(1)] string? Policy = null,
    [property: Id(2)] bool ClearPolicy = false,
    [property: Id(3)] string[]? ResourceGroups = null,
    [property: Id(4)] int? MaxPriority = null);

/// <summary>A deleted user, kept so that an admin can find and hand over the folders its id still owns.</summary>
[GenerateSerializer, Immutable]
public sealed record DeletedUser(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] DateTimeOffset DeletedAt);
