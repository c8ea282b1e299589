using System.Threading.Channels;
using Granary.Sessions;
using Granary.Telemetry;
using Microsoft.Extensions.Logging;

namespace Granary.Agents;

/// <summary>
/// Carries an agent's reports to its sessions outside the agent grain's turns. Sessions await the agent (Start,
/// Stop, GetLogs), so the agent must never await a session inside a turn: it posts here and a background pump
/// delivers, each session's reports in the order they were made, different sessions' reports side by side, so that
/// one slow session (or a busy node with many starts) does not hold up the others. A failed delivery is retried with
/// a growing pause for up to <see cref="Patience"/> (a manager that died takes seconds to be declared dead, and its
/// sessions move only then), then logged and dropped. The latest reports of each session the agent holds are kept,
/// so that a session that asks to start again (a new activation that may have lost them) hears them again.
/// </summary>
/// <param name="deliver">Sends a session its reports (the session grain's Report).</param>
internal sealed class ReportOutbox(string agentId, Func<string, RuntimeReport[], Task> deliver, TimeProvider time, ILogger logger)
{
    public static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(5);

    private readonly Channel<(string SessionId, string? Owner, RuntimeReport Report)> _reports =
        Channel.CreateUnbounded<(string, string?, RuntimeReport)>(new UnboundedChannelOptions { SingleReader = true });
    // Each session's deliveries in flight, chained so that its reports arrive in order.
    private readonly Dictionary<string, Task> _deliveries = new(StringComparer.Ordinal);
    private readonly LatestReports _latest = new();
    // Set by Drain: a failed delivery then gets one more try at once instead of pausing and retrying.
    private readonly TaskCompletionSource _draining = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _pump = Task.CompletedTask;

    /// <summary>Starts the pump; call from a turn of the grain, whose scheduler the pump then stays on.</summary>
    public void Start() => _pump = Pump();

    /// <summary>Owner: the session's owner, for the log lines about this delivery. Call from the grain's turns.</summary>
    public void Post(string sessionId, string? owner, RuntimeReport report)
    {
        report = report with { AgentId = agentId };
        _latest.Remember(sessionId, report);
        _reports.Writer.TryWrite((sessionId, owner, report));
    }

    /// <summary>Posts the session's latest reports again (none once it has ended here).</summary>
    public void Repeat(string sessionId, string? owner)
    {
        foreach (var report in _latest.Of(sessionId))
        {
            _reports.Writer.TryWrite((sessionId, owner, report));
        }
    }

    /// <summary>The session no longer runs here: its latest reports are not kept.</summary>
    public void Forget(string sessionId) => _latest.Forget(sessionId);

    /// <summary>
    /// Takes no more reports, and completes once those already posted are delivered or given up. A delivery that fails
    /// while draining is tried once more and then given up: the agent is deactivating (often its silo is stopping,
    /// and with it the sessions' manager), and retrying for <see cref="Patience"/> would hold up the silo's shutdown.
    /// </summary>
    public Task Drain()
    {
        _reports.Writer.TryComplete();
        _draining.TrySetResult();
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
            foreach (var reports in batch.GroupBy(item => item.SessionId, StringComparer.Ordinal))
            {
                var previous = _deliveries.GetValueOrDefault(reports.Key) ?? Task.CompletedTask;
                _deliveries[reports.Key] = DeliverAfter(previous, reports.Key, reports.Last().Owner, [.. reports.Select(item => item.Report)]);
            }
            foreach (var delivered in _deliveries.Where(d => d.Value.IsCompleted).Select(d => d.Key).ToArray())
            {
                _deliveries.Remove(delivered);
            }
        }
        await Task.WhenAll(_deliveries.Values);
    }

    /// <summary>Delivers once the session's earlier reports are delivered or given up (Deliver never throws).</summary>
    private async Task DeliverAfter(Task previous, string sessionId, string? owner, RuntimeReport[] reports)
    {
        await previous;
        await Deliver(sessionId, owner, reports);
    }

    private async Task Deliver(string sessionId, string? owner, RuntimeReport[] reports)
    {
        using var scope = logger.BeginSessionScope(sessionId, agentId, owner);
        var last = reports[^1].Status;
        var until = time.GetUtcNow() + Patience;
        for (var attempt = 1; ; attempt++)
        {
            var draining = _draining.Task.IsCompleted;
            try
            {
                await deliver(sessionId, reports);
                return;
            }
            catch (Exception exception) when (time.GetUtcNow() < until && !draining)
            {
                logger.LogWarning(exception, "Agent {Agent}: report {Status} to {Session} failed (attempt {Attempt})", agentId, last, sessionId, attempt);
                var pause = TimeSpan.FromMilliseconds(200 * attempt);
                await Task.WhenAny(Task.Delay(pause < LongestPause ? pause : LongestPause, time), _draining.Task);
            }
            catch (Exception exception) when (draining)
            {
                logger.LogWarning(exception, "Agent {Agent}: giving up on reporting {Status} to {Session}: the agent is deactivating; " +
                    "the session hears it again when it next asks this agent to start it", agentId, last, sessionId);
                return;
            }
            catch (Exception exception)
            {
                logger.LogError(exception, "Agent {Agent}: giving up on reporting {Status} to {Session} after {Patience}; the session hears " +
                    "it again when it next asks this agent to start it", agentId, last, sessionId, Patience);
                return;
            }
        }
    }
}
