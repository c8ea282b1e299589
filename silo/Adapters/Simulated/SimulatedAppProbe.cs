using System.Collections.Concurrent;
using Granary.Agents.Runtime;
using Granary.Sessions;
using Microsoft.Extensions.Options;

namespace Granary.Silo.Adapters.Simulated;

/// <summary>Simulated apps answer once Granary:Agent:Simulated:AppReadyDelay has passed since their first probe,
/// unless a test holds them back (Hold, until Release).</summary>
public sealed class SimulatedAppProbe(IOptions<SimulatedRuntimeOptions> options, TimeProvider time) : IAppProbe
{
    private readonly ConcurrentDictionary<string, bool> _held = new();

    /// <summary>The session's apps do not answer until released.</summary>
    public void Hold(string sessionId) => _held[sessionId] = true;

    public void Release(string sessionId) => _held.TryRemove(sessionId, out _);

    public async Task<bool> Answers(string sessionId, AppEndpoint app, CancellationToken cancellationToken)
    {
        if (_held.ContainsKey(sessionId))
        {
            return false;
        }
        if (options.Value.AppReadyDelay > TimeSpan.Zero)
        {
            await Task.Delay(options.Value.AppReadyDelay, time, cancellationToken);
        }
        return true;
    }
}
