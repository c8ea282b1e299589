using System.Security.Claims;
using Granary.Gateway.Auth;
using Granary.Gateway.Http;
using Granary.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Granary.Gateway.Sessions;

/// <summary>
/// Which resource groups and priorities a user may ask for is the admin's to set (PATCH /v1/users/{name}): a user
/// may use the default group and the groups granted to them, and priorities up to their maxPriority (0 unless
/// granted). Admins may use any.
/// </summary>
public static class SchedulingRights
{
    public static ProblemHttpResult? Refusal(ClaimsPrincipal user, SessionSpec spec)
    {
        if (user.IsAdmin())
        {
            return null;
        }

        var groups = user.GetResourceGroups();
        if (spec.ResourceGroup != CreateSessionValidator.DefaultResourceGroup && !groups.Contains(spec.ResourceGroup, StringComparer.Ordinal))
        {
            var allowed = string.Join(", ", new[] { CreateSessionValidator.DefaultResourceGroup }.Concat(groups).Distinct());
            return Problems.NotAllowed("resourceGroup", $"You may use the resource groups {allowed}; an admin grants others.");
        }

        var maxPriority = user.GetMaxPriority();
        if (spec.Priority > maxPriority)
        {
            return Problems.NotAllowed("priority", $"You may ask for priorities up to {maxPriority}; an admin grants higher ones.");
        }

        return null;
    }
}
