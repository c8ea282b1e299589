using System.Net;

namespace Granary.GatewayTests;

[Collection(GatewayCollection.Name)]
public sealed class AgentsApiTests(GatewayFactory factory)
{
    [Fact]
    public async Task Admin_lists_the_simulated_agent_with_capacity_and_gpus()
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);

        var agents = await Api.GetJson(admin, "/v1/agents");

        var agent = Assert.Single(agents.EnumerateArray());
        Assert.Equal(TestCluster.NodeId, agent.GetProperty("id").GetString());
        Assert.True(agent.GetProperty("reachable").GetBoolean());
        Assert.Equal("simulated", agent.GetProperty("runtime").GetString());
        Assert.True(agent.GetProperty("simulated").GetBoolean());
        Assert.Equal(TestCluster.Cores, agent.GetProperty("capacity").GetProperty("cpu").GetDecimal());
        Assert.Equal(TestCluster.Gpus, agent.GetProperty("capacity").GetProperty("gpu").GetInt32());
        Assert.Equal(TestCluster.FgpuPerGpu, agent.GetProperty("capacity").GetProperty("fgpuPerGpu").GetInt32());
        Assert.Equal(TestCluster.Gpus, agent.GetProperty("gpus").GetArrayLength());
        Assert.True(agent.TryGetProperty("lastHeartbeat", out _));
    }

    [Fact]
    public async Task Agent_shows_a_running_fgpu_session_in_its_gpu_share_map()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        var session = await Api.CreateSession(alice, Api.SmallSession("fgpu", new { cpu = 1, memory = "1g", fgpu = 1 }));
        var id = session.GetProperty("id").GetString()!;
        var running = await Api.WaitForStatus(alice, id, "RUNNING");
        var share = Assert.Single(running.GetProperty("gpus").EnumerateArray());

        var agent = await Api.GetJson(admin, $"/v1/agents/{running.GetProperty("agent").GetString()}");

        var gpu = Assert.Single(agent.GetProperty("gpus").EnumerateArray(), g => g.GetProperty("uuid").GetString() == share.GetProperty("uuid").GetString());
        // fgpu 1 on a node with fgpuPerGpu 5 is a fifth of a device.
        Assert.Equal(0.2m, gpu.GetProperty("shares").GetProperty(id).GetDecimal());
        Assert.Contains(agent.GetProperty("allocations").EnumerateArray(), a => a.GetProperty("sessionId").GetString() == id);

        await alice.DeleteAsync($"/v1/sessions/{id}");
        await Api.WaitForStatus(alice, id, "TERMINATED");
        var after = await Api.GetJson(admin, $"/v1/agents/{TestCluster.NodeId}");
        Assert.DoesNotContain(after.GetProperty("allocations").EnumerateArray(), a => a.GetProperty("sessionId").GetString() == id);
    }

    [Fact]
    public async Task Unknown_agent_is_404_problem()
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        using var response = await admin.GetAsync("/v1/agents/no-such-node");
        await Api.AssertProblem(response, HttpStatusCode.NotFound);
    }
}
