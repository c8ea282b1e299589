namespace Granary;

/// <summary>
/// A grain's retry of a call that must arrive: runs the attempt on a grain timer (a turn of the grain's own) after a
/// delay and then every interval, until one attempt completes; a failed attempt stays on the timer (Orleans logs it)
/// for the next. Starting it while it waits does nothing, so every path that needs it may start it. The attempt must
/// be idempotent: one that succeeded may still be repeated by a later start.
/// </summary>
public sealed class RetryUntilDone(IGrainBase grain, Func<Task> attempt, TimeSpan interval)
{
    private IGrainTimer? _timer;

    public void Start(TimeSpan due) =>
        _timer ??= grain.RegisterGrainTimer(async _ =>
        {
            await attempt();
            _timer?.Dispose();
            _timer = null;
        }, new GrainTimerCreationOptions(due, interval) { KeepAlive = true });
}
