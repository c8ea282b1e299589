using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Granary.Sessions;
using Microsoft.Extensions.DependencyInjection;

namespace Granary.GatewayTests;

/// <summary>WebSockets through the app proxy (Jupyter's kernels use them), on a real Kestrel server.</summary>
[Collection(GatewayCollection.Name)]
public sealed class AppProxyWebSocketTests
{
    [Fact]
    public async Task App_websocket_is_proxied_for_the_owner_by_key_or_by_the_app_origins_cookie()
    {
        await using var factory = GatewayFactory.OnKestrel();
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        var id = (await Api.CreateSession(alice, Api.SmallSession("proxy-ws"))).GetProperty("id").GetString()!;
        await Api.WaitForStatus(alice, id, "RUNNING");
        var view = await factory.Services.GetRequiredService<IGrainFactory>().GetGrain<ISessionGrain>(id).Get();
        await using var app = await FakeApp.Start(view!.Apps.Single(a => a.Name == "jupyter").Port);
        var gateway = alice.BaseAddress!;
        var url = new Uri($"ws://{gateway.Authority}/v1/sessions/{id}/apps/jupyter/api/kernels/k1/channels");
        using var patience = new CancellationTokenSource(Api.Patience);

        using (var byKey = new ClientWebSocket())
        {
            byKey.Options.SetRequestHeader("Authorization", $"Bearer {GatewayFactory.AliceKey}");
            await byKey.ConnectAsync(url, patience.Token);
            Assert.Equal("ping", await Echo(byKey, "ping", patience.Token));
            await byKey.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", patience.Token);
        }

        // A browser on the session's app origin, with that origin's cookie (reached through loopback like *.localhost).
        using var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectCallback = async (_, token) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(IPAddress.Loopback, gateway.Port, token);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var loopback = new HttpMessageInvoker(handler, disposeHandler: false);
        using var browser = new HttpClient(handler, disposeHandler: false) { BaseAddress = gateway };
        var (origin, cookie) = await Browsers.OpenApp(alice, browser, id, "jupyter");
        var appUrl = new Uri($"{origin.Replace("http://", "ws://")}/v1/sessions/{id}/apps/jupyter/api/kernels/k1/channels");
        using (var byCookie = new ClientWebSocket())
        {
            byCookie.Options.SetRequestHeader("Cookie", cookie);
            byCookie.Options.SetRequestHeader("Origin", origin);
            await byCookie.ConnectAsync(appUrl, loopback, patience.Token);
            Assert.Equal("pong", await Echo(byCookie, "pong", patience.Token));
            await byCookie.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", patience.Token);
        }

        // Another user's key, another site's page with the owner's app cookie, the cookie on the UI origin: refused.
        foreach (var (target, header, value, status) in new[]
                 {
                     (url, "Authorization", $"Bearer {GatewayFactory.BobKey}", HttpStatusCode.NotFound),
                     (appUrl, "Origin", "http://evil.example", HttpStatusCode.Forbidden),
                     (url, "Origin", $"http://{gateway.Authority}", HttpStatusCode.Unauthorized),
                 })
        {
            using var refused = new ClientWebSocket();
            refused.Options.CollectHttpResponseDetails = true;
            refused.Options.SetRequestHeader("Cookie", cookie);
            refused.Options.SetRequestHeader(header, value);
            await Assert.ThrowsAsync<WebSocketException>(() => refused.ConnectAsync(target, loopback, patience.Token));
            Assert.Equal(status, refused.HttpStatusCode);
        }

        await alice.DeleteAsync($"/v1/sessions/{id}");
    }

    private static async Task<string> Echo(ClientWebSocket socket, string text, CancellationToken cancellationToken)
    {
        await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, cancellationToken);
        var buffer = new byte[1024];
        var received = await socket.ReceiveAsync(buffer, cancellationToken);
        return Encoding.UTF8.GetString(buffer, 0, received.Count);
    }
}
