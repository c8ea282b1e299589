using System.Diagnostics;
using System.Net;
using Yarp.ReverseProxy.Forwarder;

namespace Granary.Gateway.Apps;

/// <summary>The one HTTP client the app proxy forwards with: no proxy, no redirects, no cookies of its own.</summary>
public sealed class AppProxyClient : IDisposable
{
    public HttpMessageInvoker Invoker { get; } = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ActivityHeadersPropagator = new ReverseProxyPropagator(DistributedContextPropagator.Current),
        ConnectTimeout = TimeSpan.FromSeconds(15),
    });

    public void Dispose() => Invoker.Dispose();
}
