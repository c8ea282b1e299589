namespace Granary.GatewayTests;

/// <summary>Silo settings for the in-process all-in-one: the simulated agent with one fixed node.</summary>
public static class TestCluster
{
    public const string NodeId = "node-1";
    public const int Cores = 8;
    public const int Gpus = 2;
    public const int FgpuPerGpu = 5;

    // Filled in once the silo's configuration schema is known (grains helper).
    public static IEnumerable<KeyValuePair<string, string?>> Settings() => [];
}
