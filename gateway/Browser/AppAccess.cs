using System.Security.Claims;
using Granary.Gateway.Auth;
using Granary.Gateway.Http;
using Granary.Sessions;

namespace Granary.Gateway.Browser;

/// <summary>
/// Who may reach a session's apps and terminal, and how: the owner, or an admin who asked explicitly (an app cookie
/// made by POST /v1/sessions/{id}/open/{app}?asAdmin=true, or a Bearer key, which no browser sends by itself); each
/// grant, and every Bearer request, reaching another user's session is written to the audit log. Browsers reach apps on the session's own app
/// origin only: the UI's sign-in cookie never opens an app.
/// </summary>
public static class AppAccess
{
    public const string AuditCategory = "Granary.Audit";

    /// <summary>A problem to answer with, or null when the caller may go on.</summary>
    public static IResult? Check(HttpContext context, ClaimsPrincipal user, SessionView view, string what)
    {
        var origins = context.RequestServices.GetRequiredService<AppOrigins>();
        var hostSession = origins.SessionOf(context.Request.Host);
        if (hostSession is not null && hostSession != view.Id)
        {
            return Problems.NotFound("session", view.Id);
        }

        var owner = view.Spec.Owner == user.GetName();
        switch (user.Via())
        {
            case BrowserCookies.ViaHeader:
                break;
            case BrowserCookies.ViaAppCookie when user.FindFirst(BrowserCookies.AppSessionClaim)?.Value == view.Id:
                if (!owner && !(user.IsAdmin() && user.HasClaim(BrowserCookies.AsAdminClaim, "true")))
                {
                    return Problems.NotFound("session", view.Id);
                }

                break;
            default:
                return Problems.Forbidden(
                    $"Browsers open apps on the session's own origin: POST /v1/sessions/{view.Id}/open/{{app}} gives the link.");
        }

        if (!owner && user.Via() == BrowserCookies.ViaHeader)
        {
            Audit(context, user, view, what);
        }

        return null;
    }

    public static void Audit(HttpContext context, ClaimsPrincipal user, SessionView view, string what)
        => context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(AuditCategory).LogWarning(
            "Admin access: {Admin} reached {What} of session {SessionId} owned by {Owner} ({Method} {Path}) at {At:O}",
            user.GetName(), what, view.Id, view.Spec.Owner, context.Request.Method, context.Request.Path.Value,
            context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow());
}
