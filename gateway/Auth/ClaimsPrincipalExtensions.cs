using System.Globalization;
using System.Security.Claims;
using Granary.Policies;

namespace Granary.Gateway.Auth;

public static class ClaimsPrincipalExtensions
{
    /// <summary>The authenticated user's name: a label, shown to people.</summary>
    public static string GetName(this ClaimsPrincipal principal)
        => principal.Identity?.Name ?? throw new InvalidOperationException("The request is not authenticated.");

    /// <summary>The authenticated user's stable id: what their sessions, folders and keys are keyed by.</summary>
    public static string GetId(this ClaimsPrincipal principal)
        => principal.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("The request is not authenticated.");

    public static string GetKeyId(this ClaimsPrincipal principal)
        => principal.FindFirstValue(GranaryClaims.KeyId) ?? throw new InvalidOperationException("The request is not authenticated.");

    public static bool IsAdmin(this ClaimsPrincipal principal) => principal.IsInRole(Roles.Admin);

    /// <summary>The name of the user's resource policy ("default" unless an admin chose another).</summary>
    public static string GetPolicyName(this ClaimsPrincipal principal)
        => principal.FindFirstValue(GranaryClaims.Policy) ?? ResourcePolicy.DefaultName;

    /// <summary>Resource groups an admin allowed the user beyond the default group.</summary>
    public static IReadOnlyList<string> GetResourceGroups(this ClaimsPrincipal principal)
        => [.. principal.FindAll(GranaryClaims.ResourceGroup).Select(c => c.Value)];

    public static int GetMaxPriority(this ClaimsPrincipal principal)
        => int.Parse(principal.FindFirstValue(GranaryClaims.MaxPriority) ?? "0", CultureInfo.InvariantCulture);
}
