using System.Net;
using System.Net.WebSockets;
using System.Text;

namespace Granary.GatewayTests;

[Collection(GatewayCollection.Name)]
public sealed class TerminalTests(GatewayFactory factory)
{
    [Fact]
    public async Task Terminal_websocket_round_trips_input_and_output()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        var id = (await Api.CreateSession(alice, Api.SmallSession("terminal"))).GetProperty("id").GetString()!;
        await Api.WaitForStatus(alice, id, "RUNNING");
        using var patience = new CancellationTokenSource(Api.Patience);

        using var socket = await Connect(GatewayFactory.AliceKey, $"/v1/sessions/{id}/terminal?cols=100&rows=30", patience.Token);
        var greeting = await ReadUntil(socket, "$ ", patience.Token);
        Assert.Contains("100x30", greeting);

        await socket.SendAsync(Encoding.UTF8.GetBytes("echo hello\r"), WebSocketMessageType.Binary, true, patience.Token);
        Assert.Contains("echo hello", await ReadUntil(socket, "echo hello", patience.Token));

        await socket.SendAsync(Encoding.UTF8.GetBytes("{\"type\":\"resize\",\"cols\":120,\"rows\":40}"), WebSocketMessageType.Text, true, patience.Token);
        await socket.SendAsync(Encoding.UTF8.GetBytes("{\"type\":\"input\",\"data\":\"typed as text\"}"), WebSocketMessageType.Text, true, patience.Token);
        Assert.Contains("typed as text", await ReadUntil(socket, "typed as text", patience.Token));

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", patience.Token);
        await alice.DeleteAsync($"/v1/sessions/{id}");
    }

    [Fact]
    public async Task Terminal_ends_when_the_session_is_deleted()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        var id = (await Api.CreateSession(alice, Api.SmallSession("terminal-end"))).GetProperty("id").GetString()!;
        await Api.WaitForStatus(alice, id, "RUNNING");
        using var patience = new CancellationTokenSource(Api.Patience);
        using var socket = await Connect(GatewayFactory.AliceKey, $"/v1/sessions/{id}/terminal", patience.Token);
        await ReadUntil(socket, "$ ", patience.Token);

        await alice.DeleteAsync($"/v1/sessions/{id}", patience.Token);

        var buffer = new byte[4096];
        WebSocketReceiveResult received;
        do
        {
            received = await socket.ReceiveAsync(buffer, patience.Token);
        }
        while (received.MessageType != WebSocketMessageType.Close);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, received.CloseStatus);
    }

    [Fact]
    public async Task Terminal_is_refused_to_other_users_and_plain_requests()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        using var bob = factory.ClientWithKey(GatewayFactory.BobKey);
        var id = (await Api.CreateSession(alice, Api.SmallSession("terminal-refused"))).GetProperty("id").GetString()!;
        await Api.WaitForStatus(alice, id, "RUNNING");

        await Api.AssertProblem(await bob.GetAsync($"/v1/sessions/{id}/terminal"), HttpStatusCode.NotFound);
        await Api.AssertValidationProblem(await alice.GetAsync($"/v1/sessions/{id}/terminal"), "Upgrade");
        await Api.AssertValidationProblem(await alice.GetAsync($"/v1/sessions/{id}/terminal?cols=0"), "cols");
        await Assert.ThrowsAnyAsync<Exception>(() => Connect(GatewayFactory.BobKey, $"/v1/sessions/{id}/terminal", CancellationToken.None));

        await alice.DeleteAsync($"/v1/sessions/{id}");
    }

    private async Task<WebSocket> Connect(string key, string path, CancellationToken cancellationToken)
    {
        var client = factory.Server.CreateWebSocketClient();
        client.ConfigureRequest = request => request.Headers.Authorization = $"Bearer {key}";
        return await client.ConnectAsync(new Uri(factory.Server.BaseAddress, path), cancellationToken);
    }

    private static async Task<string> ReadUntil(WebSocket socket, string expected, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        var buffer = new byte[4096];
        while (!text.ToString().Contains(expected, StringComparison.Ordinal))
        {
            var received = await socket.ReceiveAsync(buffer, cancellationToken);
            Assert.NotEqual(WebSocketMessageType.Close, received.MessageType);
            text.Append(Encoding.UTF8.GetString(buffer, 0, received.Count));
        }

        return text.ToString();
    }
}
