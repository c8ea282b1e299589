using Microsoft.Extensions.Primitives;

namespace Granary.Gateway.Browser;

/// <summary>What crosses the proxy between a browser and an app, besides the request and the response themselves.</summary>
public static class AppHeaders
{
    /// <summary>Response headers that act beyond the app's own pages: a service worker's wider scope, wiping a site.</summary>
    private static readonly string[] Removed = ["Service-Worker-Allowed", "Clear-Site-Data"];

    /// <summary>
    /// Drops Service-Worker-Allowed and Clear-Site-Data, and every Set-Cookie that would reach beyond the session's own
    /// app origin (a Domain attribute: sibling app origins or the UI's domain) or that names a Granary cookie. Host-only
    /// cookies stay: they live on this session's origin alone, where the app's own scripts could set them anyway
    /// (Jupyter's _xsrf cookie is one).
    /// </summary>
    public static void Restrict(IHeaderDictionary headers)
    {
        foreach (var name in Removed)
        {
            headers.Remove(name);
        }

        if (headers.SetCookie.Count > 0)
        {
            var kept = headers.SetCookie.Where(cookie => cookie is not null && StaysOnOrigin(cookie)).ToArray();
            if (kept.Length == 0)
            {
                headers.Remove("Set-Cookie");
            }
            else
            {
                headers.SetCookie = new StringValues(kept);
            }
        }
    }

    public static bool StaysOnOrigin(string setCookie)
    {
        var parts = setCookie.Split(';', StringSplitOptions.TrimEntries);
        var name = parts[0].Split('=', 2)[0].Trim();
        return !parts.Skip(1).Any(attribute => attribute.StartsWith("domain", StringComparison.OrdinalIgnoreCase))
               && !name.Contains("granary", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The request's cookies minus Granary's own, which the app must never see.</summary>
    public static void WithoutGatewayCookies(HttpRequest request, HttpRequestMessage proxyRequest)
    {
        proxyRequest.Headers.Remove("Cookie");
        var cookies = request.Headers.Cookie
            .SelectMany(header => (header ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(cookie => !cookie.Split('=', 2)[0].Contains("granary", StringComparison.OrdinalIgnoreCase))
            .ToArray();
        if (cookies.Length > 0)
        {
            proxyRequest.Headers.TryAddWithoutValidation("Cookie", string.Join("; ", cookies));
        }
    }
}
