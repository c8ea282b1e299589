using Granary.Agents;
using Microsoft.Extensions.DependencyInjection;

namespace Granary.GatewayTests;

/// <summary>An agent the directory knows but no silo hosts (its node is gone) does not break the listings.</summary>
[Collection(GatewayCollection.Name)]
public sealed class UnreachableAgentTests
{
    [Fact]
    public async Task Unreachable_agent_is_listed_as_such_and_the_others_still_answer()
    {
        await using var factory = new GatewayFactory();
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        await Api.WaitForAgents(admin, 1);
        await factory.Services.GetRequiredService<IGrainFactory>()
            .GetGrain<IAgentDirectoryGrain>(IAgentDirectoryGrain.Key).Add("ghost", "default");

        var agents = (await Api.GetJson(admin, "/v1/agents")).EnumerateArray().ToDictionary(a => a.GetProperty("id").GetString()!);

        Assert.Equal(["ghost", TestCluster.NodeId], agents.Keys.Order());
        Assert.True(agents[TestCluster.NodeId].GetProperty("reachable").GetBoolean());
        Assert.False(agents["ghost"].GetProperty("reachable").GetBoolean());
        Assert.False(string.IsNullOrEmpty(agents["ghost"].GetProperty("error").GetString()));
        Assert.False((await Api.GetJson(admin, "/v1/agents/ghost")).GetProperty("reachable").GetBoolean());
        var info = await Api.GetJson(admin, "/v1/info");
        Assert.Equal(1, info.GetProperty("agents").GetInt32());
        Assert.True(info.GetProperty("simulated").GetBoolean());
    }
}
