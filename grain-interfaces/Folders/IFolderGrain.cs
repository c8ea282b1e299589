namespace Granary.Folders;

/// <summary>One storage folder (key: FolderKey.Of(owner, name)).</summary>
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
}
