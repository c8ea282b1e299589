namespace Granary.PlatformTests.Infrastructure;

/// <summary>Paths inside the repository checkout the tests run from.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string SqlDirectory => Path.Combine(Root, "deploy", "sql");

    public static string FakeNvmlBuildScript => Path.Combine(Root, "tests", "native", "build-fake-nvml.sh");

    public static string FakeCudaBuildScript => Path.Combine(Root, "tests", "native", "build-fake-cuda.sh");

    public static string GpuProbeBuildScript => Path.Combine(Root, "deploy", "gpu-probe", "build.sh");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cluster.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Cluster.sln not found above {AppContext.BaseDirectory}.");
    }
}
