using Granary.Gateway.Auth;
using Yarp.ReverseProxy.Forwarder;

namespace Granary.Gateway.Apps;

/// <summary>
/// What an app in a session receives: the request as the browser sent it, with the original Host (Jupyter compares it
/// with Origin), and never the user's API key (no Authorization header, no key cookie). Instead it carries the
/// session's app secret as "Authorization: token …" (Jupyter's token), which only this proxy knows: the app's port
/// answers nothing without it.
/// </summary>
public sealed class AppProxyTransformer(string? appSecret) : HttpTransformer
{

    public override async ValueTask TransformRequestAsync(
        HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        proxyRequest.Headers.Authorization = appSecret is null ? null : new System.Net.Http.Headers.AuthenticationHeaderValue("token", appSecret);
        proxyRequest.Headers.Host = httpContext.Request.Host.Value;

        proxyRequest.Headers.Remove("Cookie");
        var cookies = httpContext.Request.Headers.Cookie
            .SelectMany(header => (header ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(cookie => !cookie.StartsWith(ApiKeyCookie.Name + "=", StringComparison.Ordinal))
            .ToArray();
        if (cookies.Length > 0)
        {
            proxyRequest.Headers.TryAddWithoutValidation("Cookie", string.Join("; ", cookies));
        }
    }
}
