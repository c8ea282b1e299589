using System.Net.WebSockets;
using System.Text.Json;
using Granary.Agents;
using Granary.Gateway.Http;

namespace Granary.Gateway.Terminals;

/// <summary>Pumps a terminal between a WebSocket and the agent grain until either side ends. onInput is told of every
/// message from the client (the session is in use).</summary>
public sealed class TerminalBridge(WebSocket socket, IAgentGrain agent, string terminalId, Action onInput, ILogger<TerminalBridge> logger)
{
    private const int MaxMessageBytes = 1024 * 1024;
    private static readonly TimeSpan CloseHandshakeWait = TimeSpan.FromSeconds(5);

    public async Task Run(CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var output = PumpOutput(stop.Token);
        var input = PumpInput(stop.Token);
        await Task.WhenAny(output, input);
        await stop.CancelAsync();
        await Task.WhenAll(output, input);
    }

    /// <summary>Terminal output to the client; when the terminal's process ends, the socket closes normally.</summary>
    private async Task PumpOutput(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var chunk in agent.ReadTerminal(terminalId).WithCancellation(cancellationToken))
            {
                await socket.SendAsync(chunk, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
            }

            if (socket.State == WebSocketState.Open)
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "terminal ended", cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away or stopped the input side: nothing more to send.
        }
        catch (WebSocketException e) when (e.WebSocketErrorCode == WebSocketError.ConnectionClosedPrematurely)
        {
            logger.LogDebug("Terminal {TerminalId}: the client left while output was being sent.", terminalId);
        }
        catch (Exception e) when (ClusterUnavailableHandler.Reason(e) is not null)
        {
            await NodeWentAway(e);
        }
    }

    /// <summary>The agent's silo is gone (killed, restarting): the terminal ended with it; the client is told so.</summary>
    private async Task NodeWentAway(Exception e)
    {
        logger.LogInformation("Terminal {TerminalId}: its node is unavailable ({Reason}).", terminalId, e.Message);
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            // The whole close handshake, bounded: ending the request right after our close frame can reset the
            // connection before the client has read that frame.
            using var patience = new CancellationTokenSource(CloseHandshakeWait);
            try
            {
                await socket.CloseAsync(WebSocketCloseStatus.EndpointUnavailable, "the session's node is unavailable", patience.Token);
            }
            catch (Exception closing) when (closing is WebSocketException or OperationCanceledException)
            {
                logger.LogDebug("Terminal {TerminalId}: the client did not complete the close: {Reason}", terminalId, closing.Message);
            }
        }
    }

    /// <summary>Client input to the terminal: binary frames are keystrokes, text frames control messages.</summary>
    private async Task PumpInput(CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, cancellationToken);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    if (socket.State == WebSocketState.CloseReceived)
                    {
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", cancellationToken);
                    }

                    return;
                }

                message.Write(buffer, 0, received.Count);
                if (message.Length > MaxMessageBytes)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.MessageTooBig, "message too big", cancellationToken);
                    return;
                }

                if (!received.EndOfMessage)
                {
                    continue;
                }

                var bytes = message.ToArray();
                message.SetLength(0);
                onInput();
                if (received.MessageType == WebSocketMessageType.Binary)
                {
                    await agent.WriteTerminal(terminalId, bytes);
                }
                else if (!await Control(bytes))
                {
                    await socket.CloseAsync(WebSocketCloseStatus.InvalidPayloadData,
                        "text frames must be {\"type\":\"resize\",\"cols\":N,\"rows\":N} or {\"type\":\"input\",\"data\":\"...\"}", cancellationToken);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The terminal ended (output side) or the request was aborted.
        }
        catch (WebSocketException e) when (e.WebSocketErrorCode == WebSocketError.ConnectionClosedPrematurely)
        {
            logger.LogDebug("Terminal {TerminalId}: the client left without closing the WebSocket.", terminalId);
        }
        catch (Exception e) when (ClusterUnavailableHandler.Reason(e) is not null)
        {
            await NodeWentAway(e);
        }
    }

    private async Task<bool> Control(byte[] json)
    {
        TerminalControl? control;
        try
        {
            control = JsonSerializer.Deserialize<TerminalControl>(json, JsonSerializerOptions.Web);
        }
        catch (JsonException)
        {
            return false;
        }

        switch (control)
        {
            case { Type: "resize", Cols: > 0 and <= TerminalApi.MaxSize, Rows: > 0 and <= TerminalApi.MaxSize }:
                await agent.ResizeTerminal(terminalId, control.Cols.Value, control.Rows.Value);
                return true;
            case { Type: "input", Data: not null }:
                await agent.WriteTerminal(terminalId, System.Text.Encoding.UTF8.GetBytes(control.Data));
                return true;
            default:
                return false;
        }
    }

    private sealed record TerminalControl(string? Type, int? Cols, int? Rows, string? Data);
}
