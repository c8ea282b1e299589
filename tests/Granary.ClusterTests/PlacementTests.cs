using Granary.Sessions;

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

    [Fact]
    public async Task A_group_under_the_plan_policy_solves_its_plan_off_the_scheduler_and_places_its_sessions()
    {
        var scheduler = fixture.Scheduler(ClusterFixture.PlannedGroup);
        var share = await Sessions.Create(fixture.Client, Sessions.Spec(ClusterFixture.PlannedGroup, fgpuMilli: 500));
        await Sessions.WaitFor(share, SessionStatus.Running);

        // The mix it observes now asks for a GPU, so the planner solves a plan for the group's one agent and tries it
        // against the default: on one agent, shares of half a GPU place alike either way, and a tie keeps the default.
        var status = await Eventually.Value(scheduler.GetStatus, s => s.Plan?.Contains("plan solved at", StringComparison.Ordinal) == true,
            "the scheduler solved a plan");
        Assert.Matches(@"^placing as fgd-adaptive: the plan solved at .+ held no more of the GPUs in trial \((\S+) against \1\)$", status.Plan);
        Assert.Equal("plan", status.Policy);
        var whole = await Sessions.Create(fixture.Client, Sessions.Spec(ClusterFixture.PlannedGroup, gpus: 1));
        var running = await Sessions.WaitFor(whole, SessionStatus.Running);
        Assert.Equal("planned-a", running.AgentId);
        await share.Terminate(force: false);
        await whole.Terminate(force: false);
    }

    private SiloAddress SiloAddressOf(string silo) => fixture.Cluster.Silos.Single(s => s.Name == silo).SiloAddress;
}
