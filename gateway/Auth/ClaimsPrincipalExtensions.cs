using System.Security.Claims;

namespace Granary.Gateway.Auth;

public static class ClaimsPrincipalExtensions
{
    /// <summary>The authenticated user's name (the owner of the sessions they create).</summary>
    public static string GetName(this ClaimsPrincipal principal)
        => principal.Identity?.Name ?? throw new InvalidOperationException("The request is not authenticated.");

    public static bool IsAdmin(this ClaimsPrincipal principal) => principal.IsInRole(Roles.Admin);
}
