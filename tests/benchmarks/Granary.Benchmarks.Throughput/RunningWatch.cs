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

    /// <summary>With GRANARY_BENCH_PROFILE=1: when the session accepted its placement and when it heard PREPARING
    /// (0 if not seen), then forgets them.</summary>
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
        var sessionId = context.TargetId.Key.ToString()!;
        var reports = context.MethodName == nameof(ISessionGrain.Report) ? (RuntimeReport[])context.Request.GetArgument(0)! : [];
        if (CallProfile.Enabled && context.MethodName == nameof(ISessionGrain.Assign))
        {
            _assigned[sessionId] = Stopwatch.GetTimestamp();
        }
        if (CallProfile.Enabled && reports.Any(r => r.Status == SessionStatus.Preparing))
        {
            _preparing[sessionId] = Stopwatch.GetTimestamp();
        }
        if (reports.Any(r => r.Status == SessionStatus.Running) && _waiting.TryRemove(sessionId, out var running))
        {
            running.TrySetResult(Stopwatch.GetTimestamp());
        }
    }
}
