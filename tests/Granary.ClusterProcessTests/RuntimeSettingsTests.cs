using System.Text.Json;

namespace Granary.ClusterProcessTests;

/// <summary>The runtime settings ServerRuntime.props gives the silo and the gateway reach what they run with. The
/// benchmarks measure their effect (docs/performance.md); this catches a project that stops importing them.</summary>
public sealed class RuntimeSettingsTests
{
    public static TheoryData<string> Executables => [BuiltExecutables.SiloDll, BuiltExecutables.GatewayDll];

    [Theory]
    [MemberData(nameof(Executables))]
    public void Silo_and_gateway_run_with_server_gc_and_thread_pool_workers_that_do_not_spin(string dll)
    {
        var settings = Path.ChangeExtension(dll, ".runtimeconfig.json");
        using var json = JsonDocument.Parse(File.ReadAllText(settings));
        var properties = json.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.True(properties.GetProperty("System.GC.Server").GetBoolean(), settings);
        Assert.Equal(0, properties.GetProperty("System.GC.DynamicAdaptationMode").GetInt32());
        Assert.Equal(0, properties.GetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit").GetInt32());
    }
}
