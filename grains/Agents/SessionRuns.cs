using Microsoft.Extensions.Logging;

namespace Granary.Agents;

/// <summary>The session drivers running on one agent activation, one per session at most. Each runs detached
/// from the turn that started it (so a turn never waits for a container) but on the activation's scheduler.</summary>
internal sealed class SessionRuns(string agentId, ILogger logger)
{
    private readonly Dictionary<string, Run> _runs = [];

    public bool IsRunning(string sessionId) => _runs.ContainsKey(sessionId);

    /// <summary>Runs a driver in this activation's context, outside any turn.</summary>
    public void Start(string sessionId, Func<CancellationToken, Task> drive)
    {
        var run = new Run();
        _runs[sessionId] = run;
        run.Task = Detached();

        async Task Detached()
        {
            await Task.Yield();
            RequestContext.Clear();
            try
            {
                await drive(run.Token);
            }
            catch (Exception exception)
            {
                logger.LogError(exception, "Agent {Agent}: the driver of {Session} failed", agentId, sessionId);
            }
            finally
            {
                if (_runs.TryGetValue(sessionId, out var current) && ReferenceEquals(current, run))
                {
                    _runs.Remove(sessionId);
                }
                run.Dispose();
            }
        }
    }

    /// <summary>Cancels the session's driver and waits until it has stopped.</summary>
    public async Task Stop(string sessionId)
    {
        if (_runs.Remove(sessionId, out var run))
        {
            run.Cancel();
            await run.Task;
        }
    }

    /// <summary>Cancels every driver (the activation is going; containers outlive it); completes when all stopped.</summary>
    public Task CancelAll()
    {
        foreach (var run in _runs.Values)
        {
            run.Cancel();
        }
        return Task.WhenAll(_runs.Values.Select(r => r.Task));
    }

    private sealed class Run : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();

        public CancellationToken Token => _stop.Token;
        public Task Task { get; set; } = Task.CompletedTask;

        public void Cancel() => _stop.Cancel();

        public void Dispose() => _stop.Dispose();
    }
}
