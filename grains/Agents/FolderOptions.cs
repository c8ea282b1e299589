namespace Granary.Agents;

/// <summary>Where storage folders live on a node ("Granary:Folders"): Root/owner/folder, the shared filesystem
/// in a multi-node deployment.</summary>
public sealed class FolderOptions
{
    public const string Section = "Granary:Folders";

    public string Root { get; set; } = "/var/lib/granary/folders";

    /// <summary>The root is shared storage mounted on every node: it must hold a .granary-cluster marker with the
    /// cluster id (Granary:ClusterId), or folders are not mounted.</summary>
    public bool Shared { get; set; }
}
