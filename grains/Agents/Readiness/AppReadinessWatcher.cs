using Granary.Agents.Runtime;
using Granary.Sessions;
using Granary.Telemetry;

namespace Granary.Agents.Readiness;

/// <summary>
/// Probes each app of a session that just started until it answers (ready) or the timeout passes (failed), and
/// reports each outcome once. Apps are probed side by side; the whole watch ends with the session's run.
/// </summary>
public sealed class AppReadinessWatcher(IAppProbe probe, AgentOptions options, TimeProvider time)
{
    public async Task Watch(string sessionId, IReadOnlyList<AppEndpoint> apps, Action<AppReadiness> report, CancellationToken stop)
    {
        await Task.WhenAll(apps.Select(app => WatchOne(sessionId, app, report, stop)));
    }

    private async Task WatchOne(string sessionId, AppEndpoint app, Action<AppReadiness> report, CancellationToken stop)
    {
        var deadline = time.GetUtcNow() + options.AppReadyTimeout;
        try
        {
            while (true)
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stop);
                attempt.CancelAfter(options.AppProbeTimeout);
                bool answers;
                try
                {
                    answers = await probe.Answers(sessionId, app, attempt.Token);
                }
                catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                {
                    answers = false; // this attempt took too long; the app may answer later
                }
                if (answers)
                {
                    Report(report, new AppReadiness(app.Name, AppState.Ready, $"{app.Name} answers on port {app.Port}"));
                    return;
                }
                if (time.GetUtcNow() >= deadline)
                {
                    Report(report, new AppReadiness(app.Name, AppState.Failed,
                        $"{app.Name} did not answer on port {app.Port} within {options.AppReadyTimeout}"));
                    return;
                }
                await Task.Delay(options.AppProbeInterval, time, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The session stopped before its app answered: nothing to report.
        }
    }

    private static void Report(Action<AppReadiness> report, AppReadiness readiness)
    {
        GranaryMetrics.AppReadiness.Add(1, new("app", readiness.Name), new("state", readiness.State.ToString().ToLowerInvariant()));
        report(readiness);
    }
}
