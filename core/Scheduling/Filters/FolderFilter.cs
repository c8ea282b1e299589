using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>A session that mounts storage folders goes only to a node that can mount them (its folder root is the
/// cluster's shared storage), instead of failing there or mounting an empty directory.</summary>
public sealed class FolderFilter : INodeFilter
{
    public static readonly FolderFilter Instance = new();

    public bool Admits(NodeState node, ResourceRequest request) => !request.MountsFolders || node.FoldersUnavailable is null;

    public string Explain(ResourceRequest request, IReadOnlyList<NodeState> candidates) =>
        $"no agent can mount storage folders now ({candidates.Count} cannot: {candidates[0].FoldersUnavailable})";
}
