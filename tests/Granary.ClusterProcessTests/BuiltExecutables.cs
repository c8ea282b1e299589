namespace Granary.ClusterProcessTests;

/// <summary>The silo and gateway executables the process tests start, as built in this checkout.</summary>
public static class BuiltExecutables
{
    public static string SiloDll => Built("silo", "granary-silo.dll");
    public static string GatewayDll => Built("gateway", "granary-gateway.dll");

    private static string Built(string project, string dll)
    {
        var path = Path.Combine(Repository.Root, project, "bin", "Release", "net10.0", dll);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: build with `dotnet build tests/Granary.ClusterProcessTests -c Release`.");
    }
}
