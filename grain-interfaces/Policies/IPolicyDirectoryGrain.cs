using Orleans.Concurrency;

namespace Granary.Policies;

/// <summary>The named resource policies (single activation, key "all"). Calls no other grain.</summary>
public interface IPolicyDirectoryGrain : IGrainWithStringKey
{
    public const string Key = "all";

    /// <summary>Creates or replaces the policy; true when it was created.</summary>
    Task<bool> Put(ResourcePolicy policy);

    [ReadOnly]
    Task<ResourcePolicy?> Get(string name);

    [ReadOnly]
    Task<IReadOnlyList<ResourcePolicy>> List();

    /// <summary>False when there was none.</summary>
    Task<bool> Remove(string name);
}
