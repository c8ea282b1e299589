using Granary.Agents;
using Granary.Agents.Gpu;
using Granary.PlatformTests.Infrastructure;
using Granary.Silo.Adapters.MockGpu;
using Granary.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Granary.PlatformTests.Nvml;

/// <summary>Made-up GPUs from a file (Granary:Agent:Gpus:Discovery=mock): the shipped example, the node they make,
/// and files that are wrong.</summary>
public sealed class MockGpuDiscoveryTests
{
    private static readonly string Example = Path.Combine(RepositoryPaths.Root, "deploy", "gpus", "mock-h100.json");

    [Fact]
    public void The_shipped_example_has_two_whole_h100s_and_one_split_into_mig_instances()
    {
        var discovery = new MockGpuDiscovery(Example);

        var devices = discovery.Discover();

        Assert.Equal(6, devices.Count);
        Assert.Equal(new GpuDeviceInfo("GPU-mock0000-0000-4000-8000-000000000000", "NVIDIA H100 80GB HBM3", 80L << 30, 0, 132, "9.0"), devices[0]);
        Assert.Equal(["3g.40gb", "2g.20gb", "1g.10gb", "1g.10gb"], devices.Where(d => d.IsMigInstance).Select(d => d.MigProfile));
        Assert.All(devices.Where(d => d.IsMigInstance), d => Assert.Equal("GPU-mock0000-0000-4000-8000-000000000002", d.Parent));
        // Each instance carries its GPU's memory and SMs, so the scheduler sizes it as a slot of that GPU.
        Assert.Equal([454, 242, 121, 121], devices.Where(d => d.IsMigInstance).Select(Granary.Devices.MigSlots.CoverMilli));
        var metrics = discovery.ReadMetrics(devices[0].Uuid)!;
        Assert.Equal((42, 20L << 30, 80L << 30), (metrics.UtilizationPercent, metrics.MemoryUsedBytes, metrics.MemoryTotalBytes));
        Assert.Empty(metrics.Processes!);
        Assert.Null(discovery.ReadMetrics("GPU-not-in-the-file"));
    }

    [Fact]
    public void A_mock_node_registers_the_files_gpus_as_mock()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [GpuDiscoveryRegistration.DiscoveryKey] = "mock",
            [GpuDiscoveryRegistration.MockFileKey] = Example,
            ["Granary:Agent:Nodes:0:Id"] = "demo",
            ["Granary:Agent:Nodes:0:CpuCores"] = "8",
            ["Granary:Agent:Nodes:0:Memory"] = "32g",
            ["Granary:Agent:Nodes:0:EnforcementMode"] = "mps",
        }).Build();
        var services = new ServiceCollection().AddGranaryNodes(configuration, AgentNode.Read(configuration)).BuildServiceProvider();

        var node = Assert.Single(services.GetRequiredService<IReadOnlyList<AgentNode>>());

        Assert.Equal(("mock", "mps", 6), (node.Capacity.GpuSource, node.Capacity.EnforcementMode, node.Capacity.Gpus.Length));
        Assert.IsType<MockGpuDiscovery>(services.GetRequiredService<IGpuDiscovery>());
    }

    [Theory]
    [InlineData("""{"gpus":[{"uuid":"GPU-a","model":"H100"}]}""", "gpus[0] needs uuid, model and memory")]
    [InlineData("""{"gpus":[{"uuid":"GPU-a","model":"H100","memory":"80g","colour":"green"}]}""", "colour")]
    [InlineData("""{"gpus":[{"uuid":"GPU-a","model":"H100","memory":"80g","mig":[{"uuid":"MIG-a","memory":"10g"}]}]}""", "gpus[0].mig needs uuid, profile and memory")]
    [InlineData("""{"gpus":[{"uuid":"GPU-a","model":"H100","memory":"80g"},{"uuid":"GPU-a","model":"H100","memory":"80g"}]}""", "GPU-a is listed twice")]
    [InlineData("not json", "Mock GPU file")]
    public void A_wrong_file_stops_with_what_is_wrong_and_where(string text, string problem)
    {
        var path = Path.Combine(Path.GetTempPath(), "granary-mock-gpus-" + Guid.NewGuid().ToString("N")[..8] + ".json");
        File.WriteAllText(path, text);
        try
        {
            var failure = Assert.Throws<InvalidOperationException>(() => new MockGpuDiscovery(path));

            Assert.Contains(path, failure.Message);
            Assert.Contains(problem, failure.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
