using Granary.SiloPlacement;
using Orleans.Concurrency;

namespace Granary.Agents;

/// <summary>Every agent id the cluster has seen, with its resource group (single activation, key "all").</summary>
/// <remarks>Reentrant so that thousands of registrations share a few state writes (group commit) instead of
/// rewriting the whole directory once per agent: every turn changes the state before its first await.</remarks>
[ManagerPlacement, Reentrant]
public sealed class AgentDirectoryGrain(
    [PersistentState("agentDirectory", GranaryStorage.Name)] IPersistentState<AgentDirectoryState> state) : Grain, IAgentDirectoryGrain
{
    private StateWriter? _writer;
    private string[]? _sorted;

    public async Task Add(string agentId, string resourceGroup)
    {
        if (state.State.Agents.TryGetValue(agentId, out var known) && known == resourceGroup)
        {
            return;
        }
        // A new dictionary, never the stored one changed: the ADO.NET storage serializes the state off this grain's
        // thread, while the next turn of this reentrant grain runs.
        state.State.Agents = new Dictionary<string, string>(state.State.Agents) { [agentId] = resourceGroup };
        _sorted = null;
        await (_writer ??= new StateWriter(state.WriteStateAsync)).Write();
    }

    public Task<IReadOnlyList<string>> List() =>
        Task.FromResult<IReadOnlyList<string>>(_sorted ??= state.State.Agents.Keys.Order(StringComparer.Ordinal).ToArray());
}

[GenerateSerializer]
public sealed class AgentDirectoryState
{
    /// <summary>Agent id → resource group.</summary>
    [Id(0)] public Dictionary<string, string> Agents { get; set; } = [];
}
