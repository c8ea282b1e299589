namespace Granary.Folders;

/// <summary>Where folder data lives: a directory per folder under the storage root, addressed by the owner's user
/// id, never by a user name (a shared filesystem in a multi-node deployment).</summary>
public interface IFolderStorage
{
    /// <summary>The host directory of the folder; created (owned by the session user) when missing.</summary>
    string Ensure(string ownerId, string name);

    /// <summary>Deletes the folder's directory and everything in it; no-op when absent.</summary>
    void Delete(string ownerId, string name);

    /// <summary>Moves the folder's directory (if any) to another owner and name; throws IOException when the
    /// target directory already exists.</summary>
    void Move(string ownerId, string name, string toOwnerId, string toName);

    /// <summary>Why this node cannot hold folders now (for the operator's log: it may name host paths), or null
    /// when it can. Ensure, Delete and Move then throw <see cref="FoldersUnavailableException"/>.</summary>
    string? Unavailable() => null;
}
