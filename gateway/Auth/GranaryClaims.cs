using System.Globalization;
using System.Security.Claims;

namespace Granary.Gateway.Auth;

/// <summary>The claims a request's user carries: name, role, id, the key used and the admin-set rights.</summary>
public static class GranaryClaims
{
    public const string KeyId = "granary:key";
    public const string Policy = "granary:policy";
    public const string ResourceGroup = "granary:group";
    public const string MaxPriority = "granary:max-priority";
    public const string Source = "granary:source";

    public static IEnumerable<Claim> Of(GranaryUser user)
    {
        yield return new Claim(ClaimTypes.Name, user.Name);
        yield return new Claim(ClaimTypes.Role, user.Role);
        yield return new Claim(ClaimTypes.NameIdentifier, user.Id);
        yield return new Claim(KeyId, user.KeyId);
        yield return new Claim(Source, user.Source);
        yield return new Claim(MaxPriority, user.MaxPriority.ToString(CultureInfo.InvariantCulture));
        if (user.Policy is not null)
        {
            yield return new Claim(Policy, user.Policy);
        }

        foreach (var group in user.ResourceGroups ?? [])
        {
            yield return new Claim(ResourceGroup, group);
        }
    }
}
