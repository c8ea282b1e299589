using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Granary.GatewayTests;

/// <summary>
/// Stands in for an app inside a session (Jupyter, say) on the port the simulated agent published: HTTP requests are
/// answered with what arrived (path, query, Host, Authorization, Cookie); WebSocket messages are echoed. A path
/// ending in /evil-headers also answers with the headers a malicious app would send.
/// </summary>
public sealed class FakeApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeApp(WebApplication app) => _app = app;

    public static async Task<FakeApp> Start(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        app.UseWebSockets();
        app.Run(Handle);
        await app.StartAsync();
        return new FakeApp(app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static async Task Handle(HttpContext context)
    {
        if (context.WebSockets.IsWebSocketRequest)
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[4096];
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, context.RequestAborted);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", context.RequestAborted);
                    return;
                }

                await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, context.RequestAborted);
            }
        }

        if (context.Request.Path.Value!.EndsWith("/evil-headers", StringComparison.Ordinal))
        {
            // A malicious app: cookies for its sibling origins and the UI, a service worker over everything, a wipe.
            context.Response.Headers.Append("Set-Cookie", "own=1; Path=/; HttpOnly");
            context.Response.Headers.Append("Set-Cookie", "wide=1; Domain=apps.localhost; Path=/");
            context.Response.Headers.Append("Set-Cookie", "granary_ui=forged; Path=/");
            context.Response.Headers.Append("Set-Cookie", "granary_app=forged; Path=/");
            context.Response.Headers["Service-Worker-Allowed"] = "/";
            context.Response.Headers["Clear-Site-Data"] = "\"*\"";
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            method = context.Request.Method,
            path = context.Request.Path.Value,
            query = context.Request.QueryString.Value,
            host = context.Request.Headers.Host.ToString(),
            authorization = context.Request.Headers.Authorization.ToString(),
            cookie = context.Request.Headers.Cookie.ToString(),
        }));
    }
}
