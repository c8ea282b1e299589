namespace Granary.Agents;

/// <summary>Where storage folders live on a node ("Granary:Folders"): Root/owner id/folder, the shared filesystem
/// in a multi-node deployment.</summary>
public sealed class FolderOptions
{
    public const string Section = "Granary:Folders";

    public string Root { get; set; } = "/var/lib/granary/folders";
}
