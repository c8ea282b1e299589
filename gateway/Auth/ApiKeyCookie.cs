using System.Security.Claims;

namespace Granary.Gateway.Auth;

/// <summary>
/// Browsers cannot put an Authorization header on a page navigation or a WebSocket, so the web UI also stores the
/// API key in an HttpOnly, SameSite=Strict cookie. Only endpoints marked with AllowApiKeyCookie accept it (the app
/// proxy and the terminal); the REST API takes the header only.
/// </summary>
public static class ApiKeyCookie
{
    public const string Name = "granary_key";
    public const string Path = "/v1/sessions/";

    /// <summary>The claim the handler adds when the key came from the cookie.</summary>
    public const string ViaClaim = "granary:via";
    public const string ViaCookie = "cookie";

    public static TBuilder AllowApiKeyCookie<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(new ApiKeyCookieAllowed());

    public static bool CameFromCookie(this ClaimsPrincipal principal) => principal.HasClaim(ViaClaim, ViaCookie);

    /// <summary>
    /// A request authenticated by the cookie must come from the gateway's own pages: when the browser says where it
    /// comes from (Origin), that must be this host. Stops other sites from opening a terminal with the user's cookie.
    /// </summary>
    public static bool IsSameOriginOrNotCookie(HttpContext context)
    {
        if (!context.User.CameFromCookie())
        {
            return true;
        }

        string? origin = context.Request.Headers.Origin;
        return string.IsNullOrEmpty(origin)
               || Uri.TryCreate(origin, UriKind.Absolute, out var uri)
               && string.Equals(uri.Authority, context.Request.Host.Value, StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>Endpoint metadata: the API key may come from the cookie.</summary>
public sealed class ApiKeyCookieAllowed;
