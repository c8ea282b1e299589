using System.Collections.Concurrent;
using System.Diagnostics;
using Granary.Sessions;

namespace Granary.Benchmarks.Throughput;

/// <summary>
/// An incoming call filter on the manager silo: the moment a session grain has accepted (and persisted) a
/// RUNNING report, the waiting benchmark task gets the timestamp. No polling, so measuring adds no load.
/// </summary>
public sealed class RunningWatch : IIncomingGrainCallFilter
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> _waiting = new();
    private readonly ConcurrentDictionary<string, long> _assigned = new();
    private readonly ConcurrentDictionary<string, long> _preparing = new();

    /// <summary>When the session accepted its placement and when it heard PREPARING (0 if not seen), then forgets them.</summary>
    public (long Assigned, long Preparing) TakeStages(string sessionId) =>
        (_assigned.TryRemove(sessionId, out var assigned) ? assigned : 0, _preparing.TryRemove(sessionId, out var preparing) ? preparing : 0);

    /// <summary>Completes with the Stopwatch timestamp at which the session became RUNNING.</summary>
    public Task<long> Expect(string sessionId)
    {
        var running = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[sessionId] = running;
        return running.Task;
    }

    public void Forget(string sessionId) => _waiting.TryRemove(sessionId, out _);

    public Task Invoke(IIncomingGrainCallContext context) =>
        context.Grain is ISessionGrain ? Observe(context) : context.Invoke();

    private async Task Observe(IIncomingGrainCallContext context)
    {
        await context.Invoke();
        if (context.Grain is ISessionGrain && context.MethodName == nameof(ISessionGrain.Assign))
        {
            _assigned[context.TargetId.Key.ToString()!] = Stopwatch.GetTimestamp();
        }
        if (context.Grain is ISessionGrain
            && context.MethodName == nameof(ISessionGrain.Report)
            && context.Request.GetArgument(0) is RuntimeReport[] prepared
            && prepared.Any(r => r.Status == SessionStatus.Preparing))
        {
            _preparing[context.TargetId.Key.ToString()!] = Stopwatch.GetTimestamp();
        }
        if (context.Grain is ISessionGrain
            && context.MethodName == nameof(ISessionGrain.Report)
            && context.Request.GetArgument(0) is RuntimeReport[] reports
            && reports.Any(r => r.Status == SessionStatus.Running)
            && _waiting.TryRemove(context.TargetId.Key.ToString(), out var running))
        {
            running.TrySetResult(Stopwatch.GetTimestamp());
        }
    }
}
