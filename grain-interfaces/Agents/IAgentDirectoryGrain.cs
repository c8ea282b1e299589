namespace Granary.Agents;

/// <summary>The agent ids known in the cluster (single activation, key "all"), for listings.</summary>
public interface IAgentDirectoryGrain : IGrainWithStringKey
{
    public const string Key = "all";

    Task Add(string agentId, string resourceGroup);

    Task<IReadOnlyList<string>> List();
}
