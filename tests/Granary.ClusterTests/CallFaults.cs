using System.Collections.Concurrent;
using Granary.Agents;
using Granary.Folders;
using Granary.Scheduling;
using Granary.Sessions;

namespace Granary.ClusterTests;

/// <summary>
/// An incoming call filter on every silo of the test cluster that makes chosen calls about one session fail, as a
/// call to a silo that just died fails: the scheduler's Enqueue of a session, a folder's Detach of it, or its publish
/// to its index shard (optionally only once the session has reached a status), or an image lookup it makes; or hold a folder's Detach until the test
/// lets it go, as a call to a silo that died a moment ago hangs. Armed per session, so other tests are not touched.
/// </summary>
public sealed class CallFaults : IIncomingGrainCallFilter
{
    public static readonly CallFaults Shared = new();

    private readonly ConcurrentDictionary<(string Method, string SessionId), (SessionStatus? When, int Remaining)> _armed = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _heldDetaches = new();

    /// <summary>The next <paramref name="times"/> calls of ISchedulerGrain.Enqueue for the session fail.</summary>
    public void FailEnqueue(string sessionId, int times) => _armed[(nameof(ISchedulerGrain.Enqueue), sessionId)] = (null, times);

    /// <summary>The next <paramref name="times"/> publishes of the session's view with this status fail.</summary>
    public void FailPublish(string sessionId, SessionStatus when, int times) => _armed[(nameof(ISessionIndexGrain.Publish), sessionId)] = (when, times);

    /// <summary>The next <paramref name="times"/> calls of IFolderGrain.Detach for the session fail (a folder grain on
    /// an agent silo that just died).</summary>
    public void FailDetach(string sessionId, int times) => _armed[(nameof(IFolderGrain.Detach), sessionId)] = (null, times);

    /// <summary>The next <paramref name="times"/> calls of the session's own ISessionGrain.Get made by a grain fail (its
    /// manager silo just died). The test's own calls through its client pass, so a test that watches the session
    /// cannot use up a failure meant for the agent.</summary>
    public void FailGet(string sessionId, int times) => _armed[(nameof(ISessionGrain.Get), sessionId)] = (null, times);

    /// <summary>The next <paramref name="times"/> calls of IAgentGrain.Stop for the session fail (its agent could not
    /// remove the container).</summary>
    public void FailStop(string sessionId, int times) => _armed[(nameof(IAgentGrain.Stop), sessionId)] = (null, times);

    /// <summary>The next <paramref name="times"/> image catalog lookups the session's grain makes fail (the catalog's
    /// manager silo just died). Only a lookup that reaches the catalog grain counts: the silo's copy answers most.</summary>
    public void FailImageLookup(string sessionId, int times) => _armed[(nameof(IImageCatalogGrain.List), sessionId)] = (null, times);

    /// <summary>Calls of IFolderGrain.Detach for the session wait until the returned action is called.</summary>
    public Action HoldDetach(string sessionId)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _heldDetaches[sessionId] = gate;
        return () =>
        {
            _heldDetaches.TryRemove(sessionId, out _);
            gate.TrySetResult();
        };
    }

    /// <summary>How many armed failures are left for the session (0 once every one has happened).</summary>
    public int Remaining(string sessionId) => _armed.Where(a => a.Key.SessionId == sessionId).Sum(a => a.Value.Remaining);

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        var (sessionId, status) = context.Request.GetArgumentCount() switch
        {
            1 => context.Request.GetArgument(0) switch
            {
                PendingSession pending when context.Grain is ISchedulerGrain => (pending.SessionId, (SessionStatus?)null),
                string detached when context.Grain is IFolderGrain => (detached, null),
                IndexedSession indexed when context.Grain is ISessionIndexGrain => (indexed.View.Id, indexed.View.Status),
                _ => (null, null),
            },
            2 when context.Grain is IAgentGrain && context.MethodName == nameof(IAgentGrain.Stop) => ((string?)context.Request.GetArgument(0), null),
            0 when context.Grain is IImageCatalogGrain && context.MethodName == nameof(IImageCatalogGrain.List) && context.SourceId is { } caller
                => (caller.Key.ToString(), null),
            0 when context.Grain is ISessionGrain && context.MethodName == nameof(ISessionGrain.Get) && context.SourceId is { } caller && !caller.IsClient()
                => (context.TargetId.Key.ToString(), null),
            _ => (null, null),
        };
        var key = (context.MethodName, sessionId ?? "");
        if (sessionId is not null && _armed.TryGetValue(key, out var armed) && armed.Remaining > 0 && (armed.When is null || armed.When == status))
        {
            _armed[key] = armed with { Remaining = armed.Remaining - 1 };
            throw new SiloUnavailableException($"{context.MethodName} of {sessionId} failed on purpose (CallFaults)");
        }
        if (sessionId is not null && context.Grain is IFolderGrain && _heldDetaches.TryGetValue(sessionId, out var gate))
        {
            await gate.Task;
        }
        await context.Invoke();
    }
}
