using Granary.Folders;

namespace Granary.UnitTests.Folders;

public sealed class LocalFolderStorageTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "granary-folders-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
            Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void Ensure_creates_the_folder_under_root_owner_and_name_and_keeps_existing_data()
    {
        var storage = new LocalFolderStorage(_root);
        var path = storage.Ensure("alice", "data");
        Assert.Equal(Path.Combine(_root, "alice", "data"), path);
        File.WriteAllText(Path.Combine(path, "keep.txt"), "x");

        Assert.Equal(path, storage.Ensure("alice", "data"));
        Assert.Equal("x", File.ReadAllText(Path.Combine(path, "keep.txt")));
    }

    [Fact]
    public void Ensure_gives_the_folder_to_the_session_user()
    {
        // Tests run as root (as the agent does), so the folder can be handed to uid/gid 1000.
        var path = new LocalFolderStorage(_root).Ensure("alice", "data");
        var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%u:%g", path])
        {
            RedirectStandardOutput = true,
        })!;
        var owner = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        Assert.Equal("1000:1000", owner);
    }

    [Fact]
    public void Delete_removes_the_folder_and_its_files_and_is_a_no_op_when_absent()
    {
        var storage = new LocalFolderStorage(_root);
        var path = storage.Ensure("alice", "data");
        File.WriteAllText(Path.Combine(path, "f.txt"), "x");

        storage.Delete("alice", "data");
        Assert.False(Directory.Exists(path));
        storage.Delete("alice", "data");
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
        Assert.Throws<ArgumentException>(() => storage.Ensure("alice", name));
        Assert.Throws<ArgumentException>(() => storage.Ensure(name, "data"));
        Assert.False(FolderNames.IsValid(name));
    }
}
