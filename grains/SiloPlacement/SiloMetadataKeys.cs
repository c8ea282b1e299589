namespace Granary.SiloPlacement;

/// <summary>The silo metadata keys Granary's placement reads: which roles a silo has and which nodes it hosts.</summary>
public static class SiloMetadataKeys
{
    public const string ManagerRole = "granary.role.manager";
    public const string AgentRole = "granary.role.agent";

    /// <summary>One key per hosted node, so a lookup is a dictionary hit even on a silo that simulates thousands.</summary>
    public static string Node(string nodeId) => "granary.node/" + nodeId;
}
