namespace Granary.Folders;

/// <summary>Where folder data lives: a directory per folder under the storage root
/// (a shared filesystem in a multi-node deployment).</summary>
public interface IFolderStorage
{
    /// <summary>The host directory of the folder; created (owned by the session user) when missing.</summary>
    string Ensure(string owner, string name);

    /// <summary>Deletes the folder's directory and everything in it; no-op when absent.</summary>
    void Delete(string owner, string name);
}
