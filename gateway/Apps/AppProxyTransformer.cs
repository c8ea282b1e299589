using Granary.Gateway.Browser;
using Yarp.ReverseProxy.Forwarder;

namespace Granary.Gateway.Apps;

/// <summary>
/// What an app in a session receives: the request as the browser sent it, with the original Host (Jupyter compares it
/// with Origin), and never the user's credentials (no Authorization header, no Granary cookie); what the browser
/// receives has the headers that reach beyond the app's own origin removed (<see cref="AppHeaders"/>).
/// </summary>
public sealed class AppProxyTransformer : HttpTransformer
{
    public static readonly AppProxyTransformer Instance = new();

    public override async ValueTask TransformRequestAsync(
        HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        proxyRequest.Headers.Authorization = null;
        proxyRequest.Headers.Host = httpContext.Request.Host.Value;

        AppHeaders.WithoutGatewayCookies(httpContext.Request, proxyRequest);
    }

    public override async ValueTask<bool> TransformResponseAsync(
        HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        var proceed = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        AppHeaders.Restrict(httpContext.Response.Headers);
        return proceed;
    }
}
