using Granary.Gateway.Agents;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Granary.Gateway.Health;

/// <summary>The all-in-one can run sessions: at least one agent node is registered and answers.</summary>
public sealed class AgentsReadinessCheck(AgentSnapshots agents) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var answers = await agents.Fetch(await agents.Ids().WaitAsync(cancellationToken));
        var answering = answers.Count(a => a.Snapshot is not null);
        if (answering > 0)
        {
            return HealthCheckResult.Healthy($"{answering} agent(s) answer");
        }
        return HealthCheckResult.Unhealthy(answers.Length == 0
            ? "no agent has registered yet"
            : $"no agent answers ({string.Join("; ", answers.Select(a => $"{a.Id}: {a.Error}"))})");
    }
}
