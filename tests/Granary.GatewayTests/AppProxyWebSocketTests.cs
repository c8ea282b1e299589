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
    public async Task App_websocket_is_proxied_for_the_owner_by_key_or_same_origin_cookie()
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

        using (var byCookie = new ClientWebSocket())
        {
            byCookie.Options.SetRequestHeader("Cookie", $"granary_key={GatewayFactory.AliceKey}");
            byCookie.Options.SetRequestHeader("Origin", $"http://{gateway.Authority}");
            await byCookie.ConnectAsync(url, patience.Token);
            Assert.Equal("pong", await Echo(byCookie, "pong", patience.Token));
            await byCookie.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", patience.Token);
        }

        foreach (var (header, value) in new[] { ("Authorization", $"Bearer {GatewayFactory.BobKey}"), ("Origin", "http://evil.example") })
        {
            using var refused = new ClientWebSocket();
            refused.Options.CollectHttpResponseDetails = true;
            refused.Options.SetRequestHeader("Cookie", $"granary_key={GatewayFactory.AliceKey}");
            refused.Options.SetRequestHeader(header, value);
            await Assert.ThrowsAsync<WebSocketException>(() => refused.ConnectAsync(url, patience.Token));
            Assert.Equal(header == "Origin" ? System.Net.HttpStatusCode.Forbidden : System.Net.HttpStatusCode.NotFound, refused.HttpStatusCode);
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
