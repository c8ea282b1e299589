using Granary.Folders;
using Microsoft.Extensions.Logging.Abstractions;

namespace Granary.UnitTests.Folders;

public sealed class LocalFolderStorageTests : IDisposable
{
    private const string Alice = "U0a11ce0000000000000000";
    private const string Bob = "U0b0b000000000000000000";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "granary-folders-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
            Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void Ensure_creates_the_folder_under_root_owner_id_and_name_and_keeps_existing_data()
    {
        var storage = new LocalFolderStorage(_root);
        var path = storage.Ensure(Alice, "data");
        Assert.Equal(Path.Combine(_root, Alice, "data"), path);
        File.WriteAllText(Path.Combine(path, "keep.txt"), "x");

        Assert.Equal(path, storage.Ensure(Alice, "data"));
        Assert.Equal("x", File.ReadAllText(Path.Combine(path, "keep.txt")));
    }

    [Fact]
    public void Folders_are_addressed_by_user_id_never_by_a_user_name()
    {
        var storage = new LocalFolderStorage(_root);
        Assert.Throws<ArgumentException>(() => storage.Ensure("alice", "data"));
        Assert.False(Directory.Exists(Path.Combine(_root, "alice")));
    }

    [Fact]
    public void Ensure_gives_the_folder_to_the_session_user()
    {
        // Tests run as root (as the agent does), so the folder can be handed to uid/gid 1000.
        var path = new LocalFolderStorage(_root).Ensure(Alice, "data");
        Assert.Equal("1000:1000", OwnerOf(path));
    }

    [Fact]
    public void Ensure_gives_an_existing_folder_to_the_session_user_of_this_nodes_user_mapping()
    {
        // Made by a silo without user namespaces, then mounted on a node whose engine maps container uid 1000 to
        // host uid 101000: the session user there must own it, or it could not write.
        new LocalFolderStorage(_root).Ensure(Alice, "data");
        var path = new LocalFolderStorage(_root, 101000, 101000).Ensure(Alice, "data");
        Assert.Equal("101000:101000", OwnerOf(path));
    }

    private static string OwnerOf(string path)
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%u:%g", path])
        {
            RedirectStandardOutput = true,
        })!;
        var owner = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return owner;
    }

    [Fact]
    public void Delete_removes_the_folder_and_its_files_and_is_a_no_op_when_absent()
    {
        var storage = new LocalFolderStorage(_root);
        var path = storage.Ensure(Alice, "data");
        File.WriteAllText(Path.Combine(path, "f.txt"), "x");

        storage.Delete(Alice, "data");
        Assert.False(Directory.Exists(path));
        storage.Delete(Alice, "data");
    }

    [Fact]
    public void Move_hands_the_files_to_another_owner_and_refuses_to_overwrite()
    {
        var storage = new LocalFolderStorage(_root);
        File.WriteAllText(Path.Combine(storage.Ensure(Alice, "data"), "f.txt"), "x");
        storage.Ensure(Bob, "taken");

        Assert.Throws<IOException>(() => storage.Move(Alice, "data", Bob, "taken"));
        storage.Move(Alice, "data", Bob, "from-alice");

        Assert.False(Directory.Exists(Path.Combine(_root, Alice, "data")));
        Assert.Equal("x", File.ReadAllText(Path.Combine(_root, Bob, "from-alice", "f.txt")));
    }

    [Fact]
    public void Folders_of_the_user_name_layout_move_to_unclaimed_and_keep_their_files()
    {
        // The layout before user ids: {root}/{user name}/{folder}. A new "alice" must not find these.
        Directory.CreateDirectory(Path.Combine(_root, "alice", "data"));
        File.WriteAllText(Path.Combine(_root, "alice", "data", "old.txt"), "kept");
        var storage = new LocalFolderStorage(_root);
        storage.Ensure(Alice, "data");

        var moved = storage.MoveLegacyFolders(NullLogger.Instance);

        Assert.Equal([Path.Combine(_root, LocalFolderStorage.UnclaimedDirectory, "alice")], moved);
        Assert.False(Directory.Exists(Path.Combine(_root, "alice")));
        Assert.Equal("kept", File.ReadAllText(Path.Combine(_root, LocalFolderStorage.UnclaimedDirectory, "alice", "data", "old.txt")));
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, Alice, "data")));
        Assert.Empty(storage.MoveLegacyFolders(NullLogger.Instance)); // nothing left to move; ids stay
        Assert.True(Directory.Exists(Path.Combine(_root, Alice, "data")));
    }

    [Theory]
    [InlineData("..")]
    [InlineData("../etc")]
    [InlineData("a/b")]
    [InlineData(".hidden")]
    [InlineData("")]
    [InlineData("white space")]
    public void Names_that_could_escape_the_root_are_refused(string name)
    {
        var storage = new LocalFolderStorage(_root);
        Assert.Throws<ArgumentException>(() => storage.Ensure(Alice, name));
        Assert.Throws<ArgumentException>(() => storage.Ensure(name, "data"));
        Assert.False(FolderNames.IsValid(name));
    }
}
