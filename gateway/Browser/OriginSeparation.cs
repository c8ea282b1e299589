using Granary.Gateway.Http;

namespace Granary.Gateway.Browser;

/// <summary>
/// Keeps the two kinds of origin apart. A session's app origin serves that session's apps, its terminal (page, assets
/// and WebSocket) and the ticket exchange, nothing else: not the UI, not the REST API. The UI and API origin gets a
/// strict Content-Security-Policy (only its own scripts, styles and connections; no framing) and no-sniff,
/// no-referrer headers on every response.
/// </summary>
public static class OriginSeparation
{
    public const string UiPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>The terminal page: xterm.js adds style elements of its own.</summary>
    public const string TerminalPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>The Orleans dashboard (/dashboard/, admins only): its page sets style attributes and its stylesheet
    /// embeds fonts as data: URLs. Still only its own scripts, no style elements from elsewhere, no framing.</summary>
    public const string DashboardPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; "
        + "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public const string DashboardPath = "/dashboard";

    private static readonly string[] TerminalAssets = ["/vendor/", "/terminal.js", "/terminal.css"];

    public static WebApplication UseOriginSeparation(this WebApplication app)
    {
        var origins = app.Services.GetRequiredService<AppOrigins>();
        app.Use(async (context, next) =>
        {
            var session = origins.SessionOf(context.Request.Host);
            var path = context.Request.Path.Value ?? "";
            if (session is null)
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = context.Request.Path.StartsWithSegments(DashboardPath, StringComparison.Ordinal) ? DashboardPolicy : UiPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
            }
            else if (!path.StartsWith($"/v1/sessions/{session}/apps/", StringComparison.Ordinal)
                     && path != $"/v1/sessions/{session}/terminal"
                     && path != AppLinksApi.EnterPath
                     && !TerminalAssets.Any(asset => path.StartsWith(asset, StringComparison.Ordinal)))
            {
                await Problems.NotFound("page on this app origin", path).ExecuteAsync(context);
                return;
            }

            await next(context);
        });
        return app;
    }
}
