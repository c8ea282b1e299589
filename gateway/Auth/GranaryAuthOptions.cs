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

/// <summary>A user declared in configuration. Its id is "C-" and its name: the operator's configuration is its
/// identity. Policy, ResourceGroups and MaxPriority are what PATCH /v1/users sets for API users.</summary>
public sealed class ConfiguredUser
{
    public string Name { get; set; } = "";

    public string Role { get; set; } = Roles.User;

    public string Key { get; set; } = "";

    public string? Policy { get; set; }

    public List<string>? ResourceGroups { get; set; }

    public int MaxPriority { get; set; }
}
