namespace Granary.Folders;

/// <summary>
/// Folders on shared storage (Granary:Folders:Shared=true): every node mounts the same NFS/CephFS export at the same
/// root, and the root holds a marker file naming the cluster. A node whose root lacks it (the share is not mounted,
/// or belongs to another cluster) refuses to mount, delete or move folders with the reason, instead of handing a
/// session an empty local directory; its agent says so in its snapshots, so the scheduler sends it no session that
/// mounts folders.
/// </summary>
public sealed class ClusterMarkedFolderStorage(IFolderStorage inner, string root, string clusterId) : IFolderStorage
{
    public const string MarkerName = ".granary-cluster";

    public string Ensure(string ownerId, string name)
    {
        EnsureMarked();
        return inner.Ensure(ownerId, name);
    }

    public void Delete(string ownerId, string name)
    {
        EnsureMarked();
        inner.Delete(ownerId, name);
    }

    public void Move(string ownerId, string name, string toOwnerId, string toName)
    {
        EnsureMarked();
        inner.Move(ownerId, name, toOwnerId, toName);
    }

    public string? Unavailable()
    {
        var marker = Path.Combine(root, MarkerName);
        var found = File.Exists(marker) ? File.ReadAllText(marker).Trim() : null;
        if (found == clusterId)
        {
            return inner.Unavailable();
        }
        return found is null
            ? $"folder root {root} has no {MarkerName} marker: the cluster's shared storage is not mounted there " +
              $"(create it once on the share: echo {clusterId} > {marker})"
            : $"folder root {root} belongs to cluster '{found}', not '{clusterId}' ({marker})";
    }

    private void EnsureMarked()
    {
        if (Unavailable() is { } reason)
        {
            throw new FoldersUnavailableException(reason);
        }
    }
}
