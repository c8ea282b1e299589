using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Granary.IntegrationTests;

/// <summary>Just enough of the Jupyter messaging protocol (JSON over the kernel's channels WebSocket)
/// to run one cell and collect what it prints.</summary>
public static class JupyterKernel
{
    /// <param name="token">Jupyter's token (the session's app secret), sent as "Authorization: token …".</param>
    public static async Task<string> Execute(Uri channels, string code, TimeSpan deadline, string? token = null)
    {
        using var timeout = new CancellationTokenSource(deadline);
        using var socket = new ClientWebSocket();
        if (token is not null)
            socket.Options.SetRequestHeader("Authorization", $"token {token}");
        var session = Guid.NewGuid().ToString("N");
        await socket.ConnectAsync(new Uri($"{channels}?session_id={session}"), timeout.Token);

        var messageId = Guid.NewGuid().ToString("N");
        var request = new JsonObject
        {
            ["header"] = new JsonObject
            {
                ["msg_id"] = messageId,
                ["username"] = "granary",
                ["session"] = session,
                ["msg_type"] = "execute_request",
                ["version"] = "5.3",
                ["date"] = DateTimeOffset.UtcNow.ToString("O"),
            },
            ["parent_header"] = new JsonObject(),
            ["metadata"] = new JsonObject(),
            ["content"] = new JsonObject
            {
                ["code"] = code,
                ["silent"] = false,
                ["store_history"] = false,
                ["user_expressions"] = new JsonObject(),
                ["allow_stdin"] = false,
                ["stop_on_error"] = true,
            },
            ["channel"] = "shell",
            ["buffers"] = new JsonArray(),
        };
        await socket.SendAsync(Encoding.UTF8.GetBytes(request.ToJsonString()), WebSocketMessageType.Text, true, timeout.Token);

        var printed = new StringBuilder();
        while (true)
        {
            using var message = JsonDocument.Parse(await Receive(socket, timeout.Token));
            var root = message.RootElement;
            if (!root.GetProperty("parent_header").TryGetProperty("msg_id", out var parent) || parent.GetString() != messageId)
                continue;
            var type = root.GetProperty("header").GetProperty("msg_type").GetString();
            var content = root.GetProperty("content");
            switch (type)
            {
                case "stream":
                    printed.Append(content.GetProperty("text").GetString());
                    break;
                case "error":
                    throw new InvalidOperationException($"the cell failed: {content.GetProperty("evalue").GetString()}");
                case "status" when content.GetProperty("execution_state").GetString() == "idle":
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
                    return printed.ToString();
            }
        }
    }

    private static async Task<string> Receive(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        using var text = new MemoryStream();
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
                throw new InvalidOperationException("the kernel closed its channels before the cell finished");
            text.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);
        return Encoding.UTF8.GetString(text.ToArray());
    }
}
