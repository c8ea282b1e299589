using Orleans.Concurrency;

namespace Granary.Folders;

/// <summary>One storage folder (key: FolderKey.Of(owner id, name)).</summary>
public interface IFolderGrain : IGrainWithStringKey
{
    /// <summary>Creates the folder; throws FolderConflictException when it already exists.</summary>
    Task<FolderView> Create();

    /// <summary>The folder, or null when it does not exist.</summary>
    Task<FolderView?> Get();

    /// <summary>Deletes the folder and its data; throws FolderConflictException while a live session mounts it.
    /// False when it did not exist.</summary>
    Task<bool> Delete();

    /// <summary>Records that a session mounts the folder; throws FolderNotFoundException when it does not exist.</summary>
    Task Attach(string sessionId);

    /// <summary>Records that the session no longer mounts the folder. Idempotent.</summary>
    Task Detach(string sessionId);

    /// <summary>
    /// Hands the folder and its data to another owner, under a name of theirs: the target folder is adopted, the
    /// directory moves, this folder ends. Null when this folder does not exist; throws FolderConflictException while
    /// a session mounts it or when the target exists. Call graph: a folder awaits only the target folder's Adopt
    /// (which interleaves, so two opposite transfers cannot wait on each other) and owner indexes.
    /// </summary>
    Task<FolderView?> TransferTo(string ownerId, string name);

    /// <summary>Makes this folder exist with the given creation time, without creating a directory (a transfer
    /// moves one here). Throws FolderConflictException when it exists.</summary>
    [AlwaysInterleave]
    Task Adopt(DateTimeOffset createdAt);
}
