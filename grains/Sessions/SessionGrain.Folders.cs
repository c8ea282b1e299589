using Granary.Folders;

namespace Granary.Sessions;

/// <summary>The session's storage folders: marked as mounted while it lives, so they cannot be deleted.</summary>
public sealed partial class SessionGrain
{
    /// <summary>Marks the session's folders as mounted, so they cannot be deleted while it lives; all or none.</summary>
    private async Task AttachFolders(SessionSpec spec)
    {
        var attached = new List<IFolderGrain>();
        try
        {
            foreach (var mount in spec.Mounts)
            {
                var folder = Folder(spec.Owner, mount.Folder);
                await folder.Attach(Id);
                attached.Add(folder);
            }
        }
        catch
        {
            await Task.WhenAll(attached.Select(folder => folder.Detach(Id)));
            throw;
        }
    }

    private Task DetachFolders() => Task.WhenAll(S.Spec!.Mounts.Select(mount => Folder(S.Spec.Owner, mount.Folder).Detach(Id)));

    private IFolderGrain Folder(string owner, string name) => GrainFactory.Ref<IFolderGrain>(FolderKey.Of(owner, name));
}
