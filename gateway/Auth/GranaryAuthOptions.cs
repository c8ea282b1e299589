namespace Granary.Gateway.Auth;

/// <summary>The "Granary:Auth" configuration section.</summary>
public sealed class GranaryAuthOptions
{
    public const string Section = "Granary:Auth";

    /// <summary>The admin's API key. When unset, one is generated at first start and kept in the data directory.</summary>
    public string? AdminKey { get; set; }

    /// <summary>Users declared by the operator, in addition to those created through POST /v1/users.</summary>
    public List<ConfiguredUser> Users { get; set; } = [];
}

public sealed class ConfiguredUser
{
    public string Name { get; set; } = "";

    public string Role { get; set; } = Roles.User;

    public string Key { get; set; } = "";
}
