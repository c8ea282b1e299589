using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace Granary;

/// <summary>
/// A grain's retry of a call that must arrive: runs the attempt on a grain timer (a turn of the grain's own) after a
/// delay and then every interval, until one attempt completes. Starting it while it waits does nothing, so every path
/// that needs it may start it. The attempt must be idempotent: one that succeeded may still be repeated by a later
/// start. A failed attempt is logged here, its exception whole the first time and in one line after (a call to a
/// silo that died fails the same way every interval until the cluster declares it dead), and waits for the next.
/// A version conflict is not retried: it leaves, so that Orleans deactivates the activation, whose state is stale.
/// </summary>
public sealed class RetryUntilDone(IGrainBase grain, Func<Task> attempt, TimeSpan interval, ILogger log, string what)
{
    private IGrainTimer? _timer;
    private int _failures;

    public void Start(TimeSpan due) =>
        _timer ??= grain.RegisterGrainTimer(async _ =>
        {
            try
            {
                await attempt();
            }
            catch (Exception exception) when (exception is not InconsistentStateException)
            {
                _failures++;
                if (_failures == 1)
                {
                    log.LogWarning(exception, "{What} failed; trying again every {Interval}", what, interval);
                }
                else
                {
                    log.LogWarning("{What} failed again ({Failures} times): {Error}: {Message}", what, _failures, exception.GetType().Name, exception.Message);
                }
                return;
            }
            if (_failures > 0)
            {
                log.LogInformation("{What} done after {Failures} failed attempts", what, _failures);
            }
            _failures = 0;
            _timer?.Dispose();
            _timer = null;
        }, new GrainTimerCreationOptions(due, interval) { KeepAlive = true });
}
