using Granary.Gateway.Http;

namespace Granary.Gateway.Browser;

/// <summary>
/// Cross-site request forgery stops here for cookie-authenticated requests (a Bearer key is never sent by a browser on
/// its own, so those pass untouched):
/// - the UI cookie: the request must come from the UI's own pages: Sec-Fetch-Site, when the browser sends it, is
///   same-origin (or none: an address typed in); Origin, when sent, is this host; and unsafe methods carry the
///   X-Granary-Csrf header, which no other origin can add without a CORS preflight this gateway never grants;
/// - an app cookie: other origins (another session's app included: all app origins are one site) may only navigate
///   to the app; their fetches, form posts and WebSockets are refused.
/// </summary>
public static class BrowserRequestGuard
{
    public static WebApplication UseBrowserRequestGuard(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            var refusal = context.User.Via() switch
            {
                BrowserCookies.ViaUiCookie => CheckUi(context.Request),
                BrowserCookies.ViaAppCookie => CheckApp(context.Request),
                _ => null,
            };
            if (refusal is not null)
            {
                await Problems.Forbidden(refusal).ExecuteAsync(context);
                return;
            }

            await next(context);
        });
        return app;
    }

    private static string? CheckUi(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site is not ("" or "same-origin" or "none") || !SameOriginOrNone(request))
        {
            return "Signed-in browser requests are accepted from Granary's own pages only.";
        }

        return IsUnsafe(request.Method) && string.IsNullOrEmpty(request.Headers[BrowserCookies.CsrfHeader])
            ? $"A browser request that changes something needs the {BrowserCookies.CsrfHeader} header."
            : null;
    }

    private static string? CheckApp(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        var navigation = HttpMethods.IsGet(request.Method) && request.Headers["Sec-Fetch-Mode"] == "navigate";
        if (navigation)
        {
            return null;
        }

        return site is "" or "same-origin" && SameOriginOrNone(request) ? null : "Another site may open this app, not call it.";
    }

    private static bool SameOriginOrNone(HttpRequest request)
    {
        string? origin = request.Headers.Origin;
        return string.IsNullOrEmpty(origin)
               || Uri.TryCreate(origin, UriKind.Absolute, out var uri)
               && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsUnsafe(string method)
        => !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method));
}
