using System.Threading.Channels;
using Granary.Sessions;
using Granary.Telemetry;
using Microsoft.Extensions.Logging;

namespace Granary.Agents;

/// <summary>
/// Carries an agent's reports to its sessions outside the agent grain's turns. Sessions await the agent (Start,
/// Stop, GetLogs), so the agent must never await a session inside a turn: it posts here and a background pump
/// delivers, each session's reports in the order they were made, different sessions' reports side by side, so that
/// one slow session (or a busy node with many starts) does not hold up the others. A failed delivery is retried
/// four times with a growing pause, then logged and dropped (the session's own timeouts take over).
/// </summary>
internal sealed class ReportOutbox(string agentId, IGrainFactory grains, TimeProvider time, ILogger logger)
{
    private const int Attempts = 5;

    private readonly Channel<(string SessionId, string? Owner, RuntimeReport Report)> _reports =
        Channel.CreateUnbounded<(string, string?, RuntimeReport)>(new UnboundedChannelOptions { SingleReader = true });
    private Task _pump = Task.CompletedTask;

    /// <summary>Starts the pump; call from a turn of the grain, whose scheduler the pump then stays on.</summary>
    public void Start() => _pump = Pump();

    /// <summary>Owner: the session's owner, for the log lines about this delivery.</summary>
    public void Post(string sessionId, string? owner, RuntimeReport report) =>
        _reports.Writer.TryWrite((sessionId, owner, report with { AgentId = agentId }));

    /// <summary>Takes no more reports, and completes once those already posted are delivered.</summary>
    public Task Drain()
    {
        _reports.Writer.TryComplete();
        return _pump;
    }

    private async Task Pump()
    {
        await Task.Yield();
        RequestContext.Clear();
        var reader = _reports.Reader;
        while (await reader.WaitToReadAsync())
        {
            var batch = new List<(string SessionId, string? Owner, RuntimeReport Report)>();
            while (reader.TryRead(out var item))
            {
                batch.Add(item);
            }
            await Task.WhenAll(batch.GroupBy(item => item.SessionId, StringComparer.Ordinal)
                .Select(reports => Deliver(reports.Key, reports.Last().Owner, reports.Select(item => item.Report).ToArray())));
        }
    }

    private async Task Deliver(string sessionId, string? owner, RuntimeReport[] reports)
    {
        using var scope = logger.BeginSessionScope(sessionId, agentId, owner);
        var last = reports[^1].Status;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await grains.Ref<ISessionGrain>(sessionId).Report(reports);
                return;
            }
            catch (Exception exception) when (attempt < Attempts)
            {
                logger.LogWarning(exception, "Agent {Agent}: report {Status} to {Session} failed (attempt {Attempt})", agentId, last, sessionId, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), time);
            }
            catch (Exception exception)
            {
                logger.LogError(exception, "Agent {Agent}: giving up on reporting {Status} to {Session}", agentId, last, sessionId);
                return;
            }
        }
    }
}
