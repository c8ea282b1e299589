namespace Granary.Gateway.Auth;

public static class Roles
{
    public const string User = "user";
    public const string Admin = "admin";

    /// <summary>The name of the built-in admin whose key is Granary:Auth:AdminKey.</summary>
    public const string AdminUserName = "admin";

    public const string AdminPolicy = "admin";

    public static bool IsKnown(string role) => role is User or Admin;
}
