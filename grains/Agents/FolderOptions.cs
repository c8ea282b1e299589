namespace Granary.Agents;

/// <summary>Where storage folders live on a node ("Granary:Folders"): Root/owner id/folder, the shared filesystem
/// in a multi-node deployment.</summary>
public sealed class FolderOptions
{
    public const string Section = "Granary:Folders";

    public string Root { get; set; } = "/var/lib/granary/folders";

    /// <summary>With the Docker driver: keep Root a nosuid,nodev mount, so set-user-id files and device nodes
    /// written into folders have no effect in sessions or on the host (the agent must run as root).</summary>
    public bool NoSuid { get; set; } = true;
    /// <summary>The root is shared storage mounted on every node: it must hold a .granary-cluster marker with the
    /// cluster id (Granary:ClusterId), or folders are not mounted.</summary>
    public bool Shared { get; set; }
}
