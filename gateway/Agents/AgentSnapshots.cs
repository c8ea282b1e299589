using Granary.Agents;

namespace Granary.Gateway.Agents;

/// <summary>
/// Asks agents for their snapshots. A node the managers hold as lost (no heartbeats) is not asked at all: it is
/// listed with its liveness status and the time of its last heartbeat. Any other agent gets a short time limit, so a
/// node that died a moment ago (not yet marked lost) is reported unreachable instead of stalling the listing.
/// </summary>
public sealed class AgentSnapshots(IGrainFactory grains, ILogger<AgentSnapshots> logger)
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(1);

    public async Task<IReadOnlyList<string>> Ids()
        => await grains.GetGrain<IAgentDirectoryGrain>(IAgentDirectoryGrain.Key).List();

    public async Task<AgentAnswer[]> Fetch(IEnumerable<string> ids)
    {
        var liveness = await Liveness();
        return await Task.WhenAll(ids.Select(id => Fetch(id, liveness.GetValueOrDefault(id))));
    }

    public async Task<AgentAnswer> Fetch(string id) => await Fetch(id, (await Liveness()).GetValueOrDefault(id));

    /// <summary>The managers' view of every node's liveness; empty (every status "unknown") when it does not come in time.</summary>
    private async Task<Dictionary<string, AgentLiveness>> Liveness()
    {
        try
        {
            var nodes = await grains.GetGrain<INodeLivenessGrain>(INodeLivenessGrain.Key).List().WaitAsync(Patience);
            return nodes.ToDictionary(n => n.NodeId, StringComparer.Ordinal);
        }
        catch (TimeoutException)
        {
            logger.LogWarning("Node liveness did not answer within {Patience}; listing agents without it.", Patience);
            return [];
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A manager that just died, or an error that cannot even cross to this process (no codec for it).
            logger.LogWarning(e, "Node liveness failed; listing agents without it.");
            return [];
        }
    }

    private async Task<AgentAnswer> Fetch(string id, AgentLiveness? liveness)
    {
        if (liveness is { Status: not AgentLiveness.Alive })
        {
            return new AgentAnswer(id, null, $"node {liveness.Status}: no heartbeat since {liveness.LastHeartbeat:O}", liveness);
        }
        try
        {
            return new AgentAnswer(id, await grains.GetGrain<IAgentGrain>(id).GetSnapshot().WaitAsync(Patience), null, liveness);
        }
        catch (TimeoutException)
        {
            logger.LogWarning("Agent {AgentId} did not answer within {Patience}.", id, Patience);
            return new AgentAnswer(id, null, $"no answer within {Patience.TotalSeconds:0} s", liveness);
        }
        catch (Exception e) when (e is InvalidOperationException or OrleansException or SiloUnavailableException)
        {
            logger.LogWarning("Agent {AgentId} is unreachable: {Error}", id, e.Message);
            return new AgentAnswer(id, null, "unreachable: no silo hosts this node", liveness);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // E.g. a failure inside the silo whose exception has no codec (Polly's timeout in the ADO.NET providers):
            // the listing says the node did not answer; the exception goes to the log only.
            logger.LogWarning(e, "Agent {AgentId} failed to answer", id);
            return new AgentAnswer(id, null, "unreachable: the node failed to answer (see the gateway's log)", liveness);
        }
    }
}

/// <summary>An agent's snapshot, or why there is none; its liveness as the managers see it (null: never heard from).</summary>
public sealed record AgentAnswer(string Id, AgentSnapshot? Snapshot, string? Error, AgentLiveness? Liveness = null);
