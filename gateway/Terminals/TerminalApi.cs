using System.Security.Claims;
using Granary.Agents;
using Granary.Gateway.Browser;
using Granary.Gateway.Http;
using Granary.Gateway.Sessions;
using Granary.Sessions;

namespace Granary.Gateway.Terminals;

/// <summary>
/// GET /v1/sessions/{id}/terminal (WebSocket, ?cols=&amp;rows=): a TTY in the session's container attached to its
/// tmux session, so reconnecting returns to the same shells. Binary frames carry terminal bytes both ways; a text
/// frame from the client is a control message: {"type":"resize","cols":120,"rows":40} or {"type":"input","data":"ls\r"}.
/// </summary>
public static class TerminalApi
{
    public const int DefaultColumns = 80;
    public const int DefaultRows = 24;
    public const int MaxSize = 1000;

    public static IEndpointRouteBuilder MapTerminalApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/sessions/{id}/terminal", Open)
            .WithTags("Sessions").RequireAuthorization();
        return app;
    }

    public static async Task<IResult> Open(
        HttpContext context, string id, ClaimsPrincipal user, IGrainFactory grains, ILoggerFactory loggers, Activity.SessionActivity activity,
        string? cols, string? rows)
    {
        if (!QueryValues.TryParseInt(cols, DefaultColumns, 1, MaxSize, out var columns))
        {
            return Problems.Invalid("cols", $"Must be a number of columns from 1 to {MaxSize}.");
        }

        if (!QueryValues.TryParseInt(rows, DefaultRows, 1, MaxSize, out var lines))
        {
            return Problems.Invalid("rows", $"Must be a number of rows from 1 to {MaxSize}.");
        }

        var view = await SessionsApi.FindVisible(grains, user, id);
        if (view is null)
        {
            return Problems.NotFound("session", id);
        }

        if (AppAccess.Check(context, user, view, "terminal") is { } refused)
        {
            return refused;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            return Problems.Invalid("Upgrade", "This endpoint is a WebSocket: connect with ws:// or wss://.");
        }

        if (view.Status != SessionStatus.Running || view.AgentId is null)
        {
            return Problems.Conflict($"The session is {SessionResponse.StatusName(view.Status)}, not RUNNING.");
        }

        var agent = grains.GetGrain<IAgentGrain>(view.AgentId);
        string terminalId;
        try
        {
            terminalId = await agent.OpenTerminal(id, columns, lines);
        }
        catch (NotSupportedException e)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status501NotImplemented, title: "No terminal", detail: e.Message);
        }
        catch (InvalidOperationException e) when (ClusterUnavailableHandler.Reason(e) is null)
        {
            // The agent does not run the session's container (yet): a restarted agent adopts it moments later.
            return Problems.Conflict(e.Message);
        }

        try
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            await new TerminalBridge(socket, agent, terminalId, () => activity.Touch(id), loggers.CreateLogger<TerminalBridge>()).Run(context.RequestAborted);
        }
        finally
        {
            await CloseTerminal(agent, terminalId, loggers);
        }

        return TypedResults.Empty;
    }

    /// <summary>Ends the terminal on its agent; an agent whose silo is gone took the terminal with it.</summary>
    private static async Task CloseTerminal(IAgentGrain agent, string terminalId, ILoggerFactory loggers)
    {
        try
        {
            await agent.CloseTerminal(terminalId);
        }
        catch (Exception e) when (ClusterUnavailableHandler.Reason(e) is not null)
        {
            loggers.CreateLogger<TerminalBridge>().LogInformation("Terminal {TerminalId} ended with its node: {Reason}", terminalId, e.Message);
        }
    }
}
