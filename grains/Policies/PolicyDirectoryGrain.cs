using System.Collections.Immutable;
using Granary.SiloPlacement;

namespace Granary.Policies;

/// <summary>The named resource policies.</summary>
[ManagerPlacement]
public sealed class PolicyDirectoryGrain(
    [PersistentState("policies", GranaryStorage.Name)] IPersistentState<PolicyDirectoryState> state)
    : Grain, IPolicyDirectoryGrain
{
    public async Task<bool> Put(ResourcePolicy policy)
    {
        var created = !state.State.Policies.ContainsKey(policy.Name);
        state.State.Policies = state.State.Policies.SetItem(policy.Name, policy);
        await state.WriteStateAsync();
        return created;
    }

    public Task<ResourcePolicy?> Get(string name) => Task.FromResult(state.State.Policies.GetValueOrDefault(name));

    public Task<IReadOnlyList<ResourcePolicy>> List()
        => Task.FromResult<IReadOnlyList<ResourcePolicy>>(state.State.Policies.Values.OrderBy(p => p.Name, StringComparer.Ordinal).ToList());

    public async Task<bool> Remove(string name)
    {
        if (!state.State.Policies.ContainsKey(name))
        {
            return false;
        }

        state.State.Policies = state.State.Policies.Remove(name);
        await state.WriteStateAsync();
        return true;
    }
}

[GenerateSerializer]
public sealed class PolicyDirectoryState
{
    [Id(0)] public ImmutableDictionary<string, ResourcePolicy> Policies { get; set; } = ImmutableDictionary<string, ResourcePolicy>.Empty;
}
