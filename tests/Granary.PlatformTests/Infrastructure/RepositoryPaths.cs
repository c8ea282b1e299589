using Granary.TestHelpers;

namespace Granary.PlatformTests.Infrastructure;

/// <summary>Paths inside the repository checkout the tests run from.</summary>
public static class RepositoryPaths
{
    public static string Root => Repository.Root;

    public static string SqlDirectory => Path.Combine(Root, "deploy", "sql");

    public static string FakeNvmlBuildScript => Path.Combine(Root, "tests", "native", "build-fake-nvml.sh");

    public static string FakeCudaBuildScript => Path.Combine(Root, "tests", "native", "build-fake-cuda.sh");

    public static string GpuProbeBuildScript => Path.Combine(Root, "deploy", "gpu-probe", "build.sh");
}
