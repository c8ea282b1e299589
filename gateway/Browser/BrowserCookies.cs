using System.Security.Claims;

namespace Granary.Gateway.Browser;

/// <summary>
/// The two cookies browsers get, neither holding an API key nor readable by JavaScript: the UI's sign-in cookie on the
/// UI and API origin (SameSite=Strict; REST calls it authenticates must pass <see cref="BrowserRequestGuard"/>), and
/// one app cookie per app origin (host-only, so one session's app origin never receives another's). On https both
/// carry the __Host- prefix, which no other host (an app origin included) can set or shadow.
/// </summary>
public static class BrowserCookies
{
    public const string Ui = "granary_ui";
    public const string App = "granary_app";

    /// <summary>The header the UI sends with every unsafe request it authenticates with its cookie.</summary>
    public const string CsrfHeader = "X-Granary-Csrf";

    /// <summary>How the request was authenticated: "header" (Bearer key), "ui-cookie" or "app-cookie".</summary>
    public const string ViaClaim = "granary:via";
    public const string ViaHeader = "header";
    public const string ViaUiCookie = "ui-cookie";
    public const string ViaAppCookie = "app-cookie";

    /// <summary>The SHA-256 of the API key behind the request, whichever way it came.</summary>
    public const string KeyHashClaim = "granary:key-hash";

    /// <summary>On an app cookie: the session it opens, and "true" when an admin opened another user's session as admin.</summary>
    public const string AppSessionClaim = "granary:app-session";
    public const string AsAdminClaim = "granary:as-admin";

    public static string Name(string cookie, HttpRequest request) => request.IsHttps ? "__Host-" + cookie : cookie;

    public static CookieOptions Options(HttpRequest request, SameSiteMode sameSite) => new()
    {
        HttpOnly = true,
        Secure = request.IsHttps,
        SameSite = sameSite,
        Path = "/",
        IsEssential = true,
    };

    public static string? Via(this ClaimsPrincipal user) => user.FindFirst(ViaClaim)?.Value;
}
