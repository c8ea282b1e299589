namespace Granary.Gateway.Auth;

/// <summary>
/// Who an API key belongs to. Id is the user's stable id (everything they own is keyed by it); Name a label.
/// Source: "admin-key", "configuration" or "api". KeyId names the key that authenticated the request.
/// Policy (null: "default"), ResourceGroups (null: only the default group) and MaxPriority are the admin-set rights.
/// </summary>
public sealed record GranaryUser(
    string Id,
    string Name,
    string Role,
    string Source,
    string KeyId,
    string? Policy = null,
    string[]? ResourceGroups = null,
    int MaxPriority = 0);
