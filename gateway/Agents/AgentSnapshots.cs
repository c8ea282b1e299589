using Granary.Agents;

namespace Granary.Gateway.Agents;

/// <summary>
/// Asks agents for their snapshots, each within a time limit: an agent whose silo is gone (placement waits and then
/// fails) is reported as unreachable instead of failing or stalling the whole listing.
/// </summary>
public sealed class AgentSnapshots(IGrainFactory grains, ILogger<AgentSnapshots> logger)
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(3);

    public async Task<IReadOnlyList<string>> Ids()
        => await grains.GetGrain<IAgentDirectoryGrain>(IAgentDirectoryGrain.Key).List();

    public async Task<AgentAnswer[]> Fetch(IEnumerable<string> ids)
        => await Task.WhenAll(ids.Select(Fetch));

    public async Task<AgentAnswer> Fetch(string id)
    {
        try
        {
            return new AgentAnswer(id, await grains.GetGrain<IAgentGrain>(id).GetSnapshot().WaitAsync(Patience), null);
        }
        catch (TimeoutException)
        {
            logger.LogWarning("Agent {AgentId} did not answer within {Patience}.", id, Patience);
            return new AgentAnswer(id, null, $"no answer within {Patience.TotalSeconds:0} s");
        }
        catch (Exception e) when (e is InvalidOperationException or OrleansException or SiloUnavailableException)
        {
            logger.LogWarning(e, "Agent {AgentId} is unreachable.", id);
            return new AgentAnswer(id, null, e.Message);
        }
    }
}

/// <summary>An agent's snapshot, or why there is none.</summary>
public sealed record AgentAnswer(string Id, AgentSnapshot? Snapshot, string? Error);
