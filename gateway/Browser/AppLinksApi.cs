using System.Security.Claims;
using Granary.Gateway.Auth;
using Granary.Gateway.Http;
using Granary.Gateway.Sessions;
using Granary.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Granary.Gateway.Browser;

/// <summary>
/// Opening an app in a browser. On the UI and API origin, POST /v1/sessions/{id}/open/{app} gives a one-minute,
/// one-use link to the session's app origin; there GET /granary/enter?ticket=… sets that origin's own app cookie and
/// redirects to the app. An admin opening another user's session must say so (?asAdmin=true), and it is audited.
/// </summary>
public static class AppLinksApi
{
    public const string EnterPath = "/granary/enter";

    public static IEndpointRouteBuilder MapAppLinksApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/sessions/{id}/open/{app}", Open).WithTags("Sessions").RequireAuthorization();
        app.MapGet(EnterPath, Enter).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    public static async Task<Results<Ok<AppLinkResponse>, ValidationProblem, ProblemHttpResult>> Open(
        HttpContext context, string id, string app, string? asAdmin, ClaimsPrincipal user, IGrainFactory grains,
        AppOrigins origins, BrowserTokens tokens)
    {
        if (!QueryValues.TryParseFlag(asAdmin, out var explicitAdmin))
        {
            return Problems.Invalid("asAdmin", "Must be true or false.");
        }

        var view = origins.IsAppHost(context.Request.Host) ? null : await SessionsApi.FindVisible(grains, user, id);
        if (view is null)
        {
            return Problems.NotFound("session", id);
        }

        var owner = view.Spec.Owner == user.GetName();
        if (!owner && !explicitAdmin)
        {
            return Problems.Forbidden(
                $"Session {id} belongs to {view.Spec.Owner}. An admin opens another user's app with asAdmin=true; the access is audited.");
        }

        if (view.Status != SessionStatus.Running)
        {
            return Problems.Conflict($"The session is {SessionResponse.StatusName(view.Status)}, not RUNNING.");
        }

        if (app != AppResponse.Terminal && !view.Apps.Any(a => a.Name == app && a.Protocol == "http"))
        {
            return Problems.NotFound("app", app);
        }

        if (!owner)
        {
            AppAccess.Audit(context, user, view, $"app {app} (asAdmin)");
        }

        var (ticket, expires) = tokens.ProtectTicket(new AppGrant(user.FindFirst(BrowserCookies.KeyHashClaim)!.Value, view.Id, AsAdmin: !owner), app);
        var url = $"{origins.Origin(view.Id, context.Request)}{EnterPath}?ticket={Uri.EscapeDataString(ticket)}";
        return TypedResults.Ok(new AppLinkResponse(url, expires));
    }

    /// <summary>On an app origin: the ticket becomes this origin's app cookie, then the app opens.</summary>
    public static IResult Enter(HttpContext context, string? ticket, AppOrigins origins, BrowserTokens tokens, UsedTickets used)
    {
        var session = origins.SessionOf(context.Request.Host);
        if (session is null)
        {
            return Problems.NotFound("page", EnterPath);
        }

        context.Response.Headers["Referrer-Policy"] = "no-referrer";
        var opened = string.IsNullOrEmpty(ticket) ? null : tokens.UnprotectTicket(ticket);
        if (opened is not { } valid || valid.Grant.SessionId != session || !used.TryUse(valid.Nonce))
        {
            return Problems.Forbidden("This link has expired or was used already: open the app again from Granary.");
        }

        var request = context.Request;
        context.Response.Cookies.Append(
            BrowserCookies.Name(BrowserCookies.App, request), tokens.ProtectApp(valid.Grant), BrowserCookies.Options(request, SameSiteMode.Lax));
        return TypedResults.Redirect($"/v1/sessions/{session}/apps/{Uri.EscapeDataString(valid.App)}/");
    }
}

/// <summary>url: open it in a new window within a minute (it works once).</summary>
public sealed record AppLinkResponse(string Url, DateTimeOffset ExpiresAt);
