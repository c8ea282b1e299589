using Granary.Agents.Runtime;
using Granary.Sessions;
using Microsoft.Extensions.Options;

namespace Granary.Silo.Adapters.Simulated;

/// <summary>Simulated apps answer once Granary:Agent:Simulated:AppReadyDelay has passed since their first probe.</summary>
public sealed class SimulatedAppProbe(IOptions<SimulatedRuntimeOptions> options, TimeProvider time) : IAppProbe
{
    public async Task<bool> Answers(string sessionId, AppEndpoint app, CancellationToken cancellationToken)
    {
        if (options.Value.AppReadyDelay > TimeSpan.Zero)
        {
            await Task.Delay(options.Value.AppReadyDelay, time, cancellationToken);
        }
        return true;
    }
}
