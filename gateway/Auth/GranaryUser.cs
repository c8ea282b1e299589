namespace Granary.Gateway.Auth;

/// <summary>Who an API key belongs to. Source: "admin-key", "configuration" or "api".</summary>
public sealed record GranaryUser(string Name, string Role, string Source);
