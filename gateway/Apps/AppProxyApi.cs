using System.Security.Claims;
using Granary.Gateway.Browser;
using Granary.Gateway.Http;
using Granary.Gateway.Sessions;
using Granary.Sessions;
using Yarp.ReverseProxy.Forwarder;

namespace Granary.Gateway.Apps;

/// <summary>
/// /v1/sessions/{id}/apps/{app}/… : the session's HTTP apps (Jupyter, TensorBoard …), proxied with WebSockets, for the
/// session's owner (another user gets 404; an admin as <see cref="AppAccess"/> says). Browsers reach it on the session's
/// own app origin with its app cookie; on the UI and API origin it answers Bearer keys only (API clients). The path is
/// forwarded unchanged: apps serve under that base URL. The "terminal" app is the gateway's own terminal page.
/// </summary>
public static class AppProxyApi
{
    public const string TerminalPage = "terminal.html";

    public static IEndpointRouteBuilder MapAppProxyApi(this IEndpointRouteBuilder app)
    {
        // Matches ".../apps/jupyter" too (path null): that one is redirected to ".../apps/jupyter/".
        app.Map("/v1/sessions/{id}/apps/{app}/{**path}", Proxy)
            .RequireAuthorization().ExcludeFromDescription();
        return app;
    }

    public static async Task<IResult> Proxy(
        HttpContext context, string id, string app, string? path, ClaimsPrincipal user, IGrainFactory grains,
        IHttpForwarder forwarder, AppProxyClient client, IWebHostEnvironment environment)
    {
        var view = await SessionsApi.FindVisible(grains, user, id);
        if (view is null)
        {
            return Problems.NotFound("session", id);
        }

        if (AppAccess.Check(context, user, view, $"app {app}") is { } refused)
        {
            return refused;
        }

        if (string.IsNullOrEmpty(path) && !context.Request.Path.Value!.EndsWith('/'))
        {
            return TypedResults.Redirect($"{context.Request.PathBase}{context.Request.Path}/{context.Request.QueryString}");
        }

        if (view.Status != SessionStatus.Running)
        {
            return Problems.Conflict($"The session is {SessionResponse.StatusName(view.Status)}, not RUNNING.");
        }

        if (app == AppResponse.Terminal)
        {
            if (string.IsNullOrEmpty(path) && HttpMethods.IsGet(context.Request.Method))
            {
                context.Response.Headers.ContentSecurityPolicy = OriginSeparation.TerminalPolicy;
                context.Response.Headers.XContentTypeOptions = "nosniff";
            }

            return string.IsNullOrEmpty(path) && HttpMethods.IsGet(context.Request.Method)
                ? TypedResults.Stream(environment.WebRootFileProvider.GetFileInfo(TerminalPage).CreateReadStream(), "text/html; charset=utf-8")
                : Problems.NotFound("terminal page", path ?? "");
        }

        var endpoint = view.Apps.FirstOrDefault(a => a.Name == app && a.Protocol == "http");
        if (endpoint is null)
        {
            return Problems.NotFound("app", app);
        }

        var error = await forwarder.SendAsync(
            context, $"http://{endpoint.Host}:{endpoint.Port}", client.Invoker, ForwarderRequestConfig.Empty, AppProxyTransformer.Instance);
        if (error != ForwarderError.None && !context.Response.HasStarted)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status502BadGateway, title: "Bad gateway",
                detail: $"The app \"{app}\" of session {id} did not answer ({error}).");
        }

        return TypedResults.Empty;
    }
}
