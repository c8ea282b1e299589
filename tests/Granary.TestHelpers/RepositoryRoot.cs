namespace Granary.TestHelpers;

/// <summary>The repository checkout the tests run from (the directory holding Cluster.sln).</summary>
public static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Cluster.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"Cluster.sln not found above {AppContext.BaseDirectory}.");
    }
}
