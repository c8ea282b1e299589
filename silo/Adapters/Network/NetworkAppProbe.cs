using System.Net.Sockets;
using Granary.Agents.Launch;
using Granary.Agents.Runtime;
using Granary.Sessions;

namespace Granary.Silo.Adapters.Network;

/// <summary>
/// Probes a container's published port over the network. HTTP apps: a GET of the app's base URL; any HTTP answer
/// (a 404 or a redirect included) means the server is up. TCP apps (ssh): a connection that stays open or sends
/// data; Docker's port proxy accepts a connection even when nothing listens inside and then closes it at once, so
/// an immediate close means not yet.
/// </summary>
public sealed class NetworkAppProbe(HttpClient http) : IAppProbe
{
    private static readonly TimeSpan FirstBytes = TimeSpan.FromMilliseconds(500);

    public async Task<bool> Answers(string sessionId, AppEndpoint app, CancellationToken cancellationToken)
    {
        try
        {
            return app.Protocol == "http" ? await AnswersHttp(sessionId, app, cancellationToken) : await AnswersTcp(app, cancellationToken);
        }
        catch (Exception exception) when (exception is HttpRequestException or SocketException or IOException)
        {
            return false;
        }
    }

    private async Task<bool> AnswersHttp(string sessionId, AppEndpoint app, CancellationToken cancellationToken)
    {
        var url = new UriBuilder("http", app.Host, app.Port, ImageApps.BaseUrl(sessionId, app.Name)).Uri;
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return true;
    }

    private static async Task<bool> AnswersTcp(AppEndpoint app, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(app.Host, app.Port, cancellationToken);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(FirstBytes);
        try
        {
            var buffer = new byte[1];
            // Data (an ssh banner) means a server; a close (0 bytes) means a proxy with nothing behind it.
            return await client.GetStream().ReadAsync(buffer, wait.Token) > 0;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return true; // still open and silent: a server that waits for the client to speak first
        }
    }
}
