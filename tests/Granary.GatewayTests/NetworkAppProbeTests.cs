using System.Net;
using System.Net.Sockets;
using System.Text;
using Granary.Sessions;
using Granary.Silo.Adapters.Network;

namespace Granary.GatewayTests;

/// <summary>The readiness probe of real containers' apps, against listeners on loopback.</summary>
public sealed class NetworkAppProbeTests
{
    private readonly NetworkAppProbe _probe = new(new HttpClient());

    [Fact]
    public async Task A_tcp_server_that_sends_a_banner_answers()
    {
        using var listener = Listen();
        var serving = Serve(listener, async socket => await socket.SendAsync(Encoding.ASCII.GetBytes("SSH-2.0-test\r\n")));
        Assert.True(await _probe.Answers("s1", App("tcp", listener), CancellationToken.None));
        await serving;
    }

    [Fact]
    public async Task A_connection_closed_at_once_does_not_answer_as_docker_proxy_does_with_nothing_behind_it()
    {
        using var listener = Listen();
        var serving = Serve(listener, _ => Task.CompletedTask);
        Assert.False(await _probe.Answers("s1", App("tcp", listener), CancellationToken.None));
        await serving;
    }

    [Fact]
    public async Task A_closed_port_does_not_answer()
    {
        int port;
        using (var listener = Listen())
        {
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        Assert.False(await _probe.Answers("s1", new AppEndpoint("ssh", "tcp", "127.0.0.1", port), CancellationToken.None));
        Assert.False(await _probe.Answers("s1", new AppEndpoint("jupyter", "http", "127.0.0.1", port), CancellationToken.None));
    }

    [Fact]
    public async Task An_http_server_answers_at_the_apps_base_url_whatever_its_status()
    {
        using var listener = Listen();
        string? requestLine = null;
        var serving = Serve(listener, async socket =>
        {
            var buffer = new byte[4096];
            var read = await socket.ReceiveAsync(buffer);
            requestLine = Encoding.ASCII.GetString(buffer, 0, read).Split("\r\n")[0];
            await socket.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
        });
        Assert.True(await _probe.Answers("s1", App("http", listener, "jupyter"), CancellationToken.None));
        await serving;
        Assert.Equal("GET /v1/sessions/s1/apps/jupyter/ HTTP/1.1", requestLine);
    }

    private static TcpListener Listen()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return listener;
    }

    private static AppEndpoint App(string protocol, TcpListener listener, string name = "ssh") =>
        new(name, protocol, "127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port);

    private static async Task Serve(TcpListener listener, Func<Socket, Task> handle)
    {
        using var socket = await listener.AcceptSocketAsync();
        await handle(socket);
        socket.Shutdown(SocketShutdown.Both);
    }
}
