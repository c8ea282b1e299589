namespace Granary.ClusterProcessTests;

/// <summary>Where the built executables are: the repository root holds Cluster.sln.</summary>
public static class Repository
{
    public static readonly string Root = FindRoot();

    public static string SiloDll => Built("silo", "granary-silo.dll");
    public static string GatewayDll => Built("gateway", "granary-gateway.dll");

    private static string Built(string project, string dll)
    {
        var path = Path.Combine(Root, project, "bin", "Release", "net10.0", dll);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: build with `dotnet build tests/Granary.ClusterProcessTests -c Release`.");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cluster.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Cluster.sln not found above " + AppContext.BaseDirectory);
    }
}
