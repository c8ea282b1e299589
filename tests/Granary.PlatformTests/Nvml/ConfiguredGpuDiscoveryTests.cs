using Granary.Agents;
using Granary.Agents.Gpu;

namespace Granary.PlatformTests.Nvml;

public sealed class ConfiguredGpuDiscoveryTests
{
    [Fact]
    public void Declared_gpus_are_discovered_in_index_order_without_live_metrics()
    {
        var second = new GpuDeviceInfo("GPU-b", "Tesla V100-SXM2-32GB", 34359738368, 1);
        var first = new GpuDeviceInfo("GPU-a", "Tesla V100-SXM2-32GB", 34359738368, 0);

        var discovery = new ConfiguredGpuDiscovery([second, first]);

        Assert.Equal([first, second], discovery.Discover());
        Assert.Null(discovery.ReadMetrics("GPU-a"));
    }

    [Theory]
    [InlineData("", "V100", 1L, 1, "Uuid is required")]
    [InlineData("GPU-x", "", 1L, 1, "Model is required")]
    [InlineData("GPU-x", "V100", 0L, 1, "MemoryBytes must be positive")]
    [InlineData("GPU-a", "V100", 1L, 1, "Uuid is declared twice")]
    [InlineData("GPU-x", "V100", 1L, 0, "Index 0 is declared twice")]
    public void A_bad_declaration_is_refused_naming_the_field(string uuid, string model, long memory, int index, string message)
    {
        var valid = new GpuDeviceInfo("GPU-a", "V100", 1, 0);

        var error = Assert.Throws<ArgumentException>(() => new ConfiguredGpuDiscovery([valid, new GpuDeviceInfo(uuid, model, memory, index)]));

        Assert.Contains(message, error.Message);
    }
}
