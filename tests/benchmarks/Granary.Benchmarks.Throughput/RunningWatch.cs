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

    /// <summary>Completes with the Stopwatch timestamp at which the session became RUNNING.</summary>
    public Task<long> Expect(string sessionId)
    {
        var running = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[sessionId] = running;
        return running.Task;
    }

    public void Forget(string sessionId) => _waiting.TryRemove(sessionId, out _);

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        await context.Invoke();
        if (context.Grain is ISessionGrain
            && context.MethodName == nameof(ISessionGrain.Report)
            && context.Request.GetArgument(0) is RuntimeReport { Status: SessionStatus.Running }
            && _waiting.TryRemove(context.TargetId.Key.ToString(), out var running))
        {
            running.TrySetResult(Stopwatch.GetTimestamp());
        }
    }
}
