using Granary.Folders;

namespace Granary.UnitTests.Folders;

public sealed class ClusterMarkedFolderStorageTests : IDisposable
{
    private const string Alice = "U0a11ce0000000000000000";

    private readonly string _root = Directory.CreateTempSubdirectory("granary-marked-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private ClusterMarkedFolderStorage Storage() => new(new LocalFolderStorage(_root), _root, "prod");

    [Fact]
    public void Root_without_the_marker_refuses_to_mount_and_says_why()
    {
        var error = Assert.Throws<FoldersUnavailableException>(() => Storage().Ensure(Alice, "data"));
        Assert.Contains("no .granary-cluster marker", error.Message);
        Assert.Equal(error.Message, Storage().Unavailable());
        Assert.False(Directory.Exists(Path.Combine(_root, Alice)));
    }

    [Fact]
    public void Root_of_another_cluster_refuses_to_mount()
    {
        File.WriteAllText(Path.Combine(_root, ClusterMarkedFolderStorage.MarkerName), "staging\n");
        var error = Assert.Throws<FoldersUnavailableException>(() => Storage().Delete(Alice, "data"));
        Assert.Contains("belongs to cluster 'staging', not 'prod'", error.Message);
        Assert.Equal(error.Message, Storage().Unavailable());
    }

    [Fact]
    public void Root_with_this_clusters_marker_mounts()
    {
        File.WriteAllText(Path.Combine(_root, ClusterMarkedFolderStorage.MarkerName), "prod\n");
        Assert.Null(Storage().Unavailable());
        Assert.Equal(Path.Combine(_root, Alice, "data"), Storage().Ensure(Alice, "data"));
    }
}
