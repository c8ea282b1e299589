namespace Granary.ClusterTests;

[Collection(ClusterCollection.Name)]
public sealed class PlacementTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Every_agent_grain_is_activated_on_the_silo_that_hosts_its_node()
    {
        var management = fixture.Client.GetGrain<IManagementGrain>(0);
        foreach (var (node, (silo, _)) in ClusterFixture.Nodes)
        {
            var agent = fixture.Agent(node);
            await agent.GetSnapshot();
            var host = await management.GetActivationAddress(agent);
            Assert.Equal(SiloAddressOf(silo), host);
        }
    }

    [Fact]
    public async Task Sessions_and_schedulers_live_on_the_manager_silo()
    {
        var session = await Sessions.Create(fixture.Client, Sessions.Spec("placement-nowhere"));
        var management = fixture.Client.GetGrain<IManagementGrain>(0);

        Assert.Equal(SiloAddressOf(ClusterFixture.ManagerSilo), await management.GetActivationAddress(session));
        Assert.Equal(SiloAddressOf(ClusterFixture.ManagerSilo), await management.GetActivationAddress(fixture.Scheduler("placement-nowhere")));
        await session.Terminate(force: false);
    }

    [Fact]
    public async Task Each_agent_registers_its_configured_capacity_and_gpus()
    {
        var snapshot = await fixture.Agent("burst-b").GetSnapshot();

        Assert.Equal("burst", snapshot.ResourceGroup);
        Assert.Equal(8000, snapshot.Capacity.CpuMilli);
        Assert.Equal(32 * Sessions.GiB, snapshot.Capacity.MemoryBytes);
        Assert.Equal(["GPU-burst-b-0", "GPU-burst-b-1"], snapshot.Capacity.Gpus.Select(g => g.Uuid));
        Assert.Equal("simulated", snapshot.Runtime);
        Assert.Contains("python:3.11", snapshot.Images);
        var devices = await fixture.Agent("burst-b").GetGpus();
        Assert.Equal(["GPU-burst-b-0", "GPU-burst-b-1"], devices.Select(d => d.Device.Uuid));
        Assert.All(devices, d => Assert.Equal(("burst-b", "configured", (int?)null), (d.AgentId, d.Source, d.UtilizationPercent)));
    }

    private SiloAddress SiloAddressOf(string silo) => fixture.Cluster.Silos.Single(s => s.Name == silo).SiloAddress;
}
