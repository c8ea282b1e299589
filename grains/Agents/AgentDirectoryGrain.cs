using Granary.SiloPlacement;

namespace Granary.Agents;

/// <summary>Every agent id the cluster has seen, with its resource group (single activation, key "all").</summary>
[ManagerPlacement]
public sealed class AgentDirectoryGrain(
    [PersistentState("agentDirectory", GranaryStorage.Name)] IPersistentState<AgentDirectoryState> state) : Grain, IAgentDirectoryGrain
{
    public async Task Add(string agentId, string resourceGroup)
    {
        if (state.State.Agents.TryGetValue(agentId, out var known) && known == resourceGroup)
        {
            return;
        }
        state.State.Agents[agentId] = resourceGroup;
        await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<string>> List() =>
        Task.FromResult<IReadOnlyList<string>>(state.State.Agents.Keys.Order(StringComparer.Ordinal).ToArray());
}

[GenerateSerializer]
public sealed class AgentDirectoryState
{
    /// <summary>Agent id → resource group.</summary>
    [Id(0)] public Dictionary<string, string> Agents { get; set; } = [];
}
