using System.Net;
using System.Text.Json;

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
        var (id, running) = await RunningFifth(alice, "fgpu");
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

    [Fact]
    public async Task Gpus_are_listed_for_admins_with_shares_enforcement_and_source()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        var (id, running) = await RunningFifth(alice, "gpus");
        var uuid = Assert.Single(running.GetProperty("gpus").EnumerateArray()).GetProperty("uuid").GetString();

        var all = await Api.GetJson(admin, "/v1/gpus");
        var ofAgent = await Api.GetJson(admin, $"/v1/agents/{TestCluster.NodeId}/gpus");

        Assert.Equal(TestCluster.Gpus, all.GetArrayLength());
        Assert.Equal(all.ToString(), ofAgent.ToString());
        var gpu = Assert.Single(all.EnumerateArray(), g => g.GetProperty("uuid").GetString() == uuid);
        Assert.Equal(0.2m, gpu.GetProperty("shares").GetProperty(id).GetDecimal());
        Assert.Equal(TestCluster.NodeId, gpu.GetProperty("agent").GetString());
        Assert.Equal("configured", gpu.GetProperty("source").GetString());
        Assert.False(gpu.GetProperty("mock").GetBoolean());
        Assert.Equal(JsonValueKind.Null, gpu.GetProperty("utilizationPercent").ValueKind); // configured GPUs have no live metrics
        var agent = await Api.GetJson(admin, $"/v1/agents/{TestCluster.NodeId}");
        var mode = agent.GetProperty("capacity").GetProperty("enforcementMode").GetString();
        Assert.Equal(mode, gpu.GetProperty("enforcementMode").GetString());
        Assert.Equal(mode != "none", gpu.GetProperty("enforced").GetBoolean());
        Assert.Equal(mode != "none", agent.GetProperty("capacity").GetProperty("gpuEnforced").GetBoolean());
        Assert.Equal(mode != "none", (await Api.GetJson(alice, "/v1/info")).GetProperty("gpuFractionsEnforced").GetBoolean());

        await alice.DeleteAsync($"/v1/sessions/{id}");
        await Api.WaitForStatus(alice, id, "TERMINATED");
    }

    [Fact]
    public async Task A_mock_mig_node_lists_its_instances_and_a_profile_request_holds_one_whole()
    {
        await using var mig = MockMigGateway.Start();
        using var alice = mig.ClientWithKey(GatewayFactory.AliceKey);
        using var admin = mig.ClientWithKey(GatewayFactory.AdminKey);
        await Api.WaitForAgents(admin, 1);
        const string Slot1g = "MIG-mock0000-0000-4000-8000-000000000023", Other1g = "MIG-mock0000-0000-4000-8000-000000000024";

        var gpus = (await Api.GetJson(admin, "/v1/gpus")).EnumerateArray().ToArray();

        Assert.Equal(6, gpus.Length); // two whole H100s and the third's four MIG instances
        Assert.All(gpus, g => Assert.Equal(("mock", true, "mig", true),
            (g.GetProperty("source").GetString(), g.GetProperty("mock").GetBoolean(), g.GetProperty("enforcementMode").GetString(), g.GetProperty("enforced").GetBoolean())));
        var slot = gpus.Single(g => g.GetProperty("uuid").GetString() == Slot1g);
        Assert.Equal(("GPU-mock0000-0000-4000-8000-000000000002", "1g.10gb", 16, 10L << 30),
            (slot.GetProperty("parent").GetString(), slot.GetProperty("migProfile").GetString(), slot.GetProperty("sms").GetInt32(), slot.GetProperty("memory").GetInt64()));
        Assert.Equal(42, gpus.Single(g => g.GetProperty("index").GetInt32() == 0).GetProperty("utilizationPercent").GetInt32());
        var info = await Api.GetJson(alice, "/v1/info");
        Assert.True(info.GetProperty("mockGpus").GetBoolean());

        string[] ids = [.. await Task.WhenAll(Enumerable.Range(0, 3).Select(async i => (await Api.CreateSession(alice,
            Api.SmallSession($"mig-{i}", new { cpu = 1, memory = "1g", mig = "1g.10gb" }))).GetProperty("id").GetString()!))];
        var held = new List<string>();
        foreach (var id in ids)
        {
            var session = await Eventually.Value(() => Api.GetJson(alice, $"/v1/sessions/{id}"),
                s => s.GetProperty("status").GetString() == "RUNNING"
                    || s.GetProperty("statusReason").GetString()?.Contains("MIG", StringComparison.Ordinal) == true,
                $"session {id} runs or says why not");
            if (session.GetProperty("status").GetString() == "RUNNING")
            {
                var share = Assert.Single(session.GetProperty("gpus").EnumerateArray());
                Assert.Equal(0.121m, share.GetProperty("share").GetDecimal()); // charged as what the instance covers of its GPU
                held.Add(share.GetProperty("uuid").GetString()!);
            }
            else
            {
                Assert.Equal("every MIG instance of profile 1g.10gb is held (on " + TestCluster.NodeId + ")", session.GetProperty("statusReason").GetString());
            }
        }

        Assert.Equal([Slot1g, Other1g], held.Order());
        var heldSlot = (await Api.GetJson(admin, $"/v1/agents/{TestCluster.NodeId}/gpus")).EnumerateArray().Single(g => g.GetProperty("uuid").GetString() == Slot1g);
        Assert.Equal(1m, heldSlot.GetProperty("allocated").GetDecimal()); // the instance is held whole
        Assert.Equal(1m, Assert.Single(heldSlot.GetProperty("shares").EnumerateObject()).Value.GetDecimal());
        foreach (var id in ids)
        {
            using var deleted = await alice.DeleteAsync($"/v1/sessions/{id}");
            Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        }
    }

    [Theory]
    [InlineData("/v1/gpus")]
    [InlineData("/v1/agents/" + TestCluster.NodeId + "/gpus")]
    public async Task A_user_may_not_see_the_gpus(string path)
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);

        using var response = await alice.GetAsync(path);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Gpus_of_an_unknown_agent_are_404_problem()
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        using var response = await admin.GetAsync("/v1/agents/no-such-node/gpus");
        await Api.AssertProblem(response, HttpStatusCode.NotFound);
    }

    /// <summary>A running session of fgpu 1 (a fifth of a device on the test node): its id and view.</summary>
    private static async Task<(string Id, JsonElement Running)> RunningFifth(HttpClient owner, string name)
    {
        var session = await Api.CreateSession(owner, Api.SmallSession(name, new { cpu = 1, memory = "1g", fgpu = 1 }));
        var id = session.GetProperty("id").GetString()!;
        return (id, await Api.WaitForStatus(owner, id, "RUNNING"));
    }
}
