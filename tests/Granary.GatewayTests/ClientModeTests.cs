using Granary.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Granary.GatewayTests;

/// <summary>Granary:Gateway:Mode=client: the gateway runs no silo and joins a separate one as an Orleans client.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ClientModeTests
{
    [Fact]
    public async Task Client_mode_gateway_drives_a_session_on_a_separate_silo()
    {
        var siloSettings = TestCluster.Settings();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(siloSettings);
        builder.AddGranarySilo();
        using var silo = builder.Build();
        await silo.StartAsync();
        try
        {
            await using var gateway = GatewayFactory.ClientOf(int.Parse(siloSettings["Granary:GatewayPort"]!));
            using var anonymous = gateway.ClientWithKey(null);
            Assert.Equal("client", (await Api.GetJson(anonymous, "/healthz")).GetProperty("mode").GetString());

            using var alice = gateway.ClientWithKey(GatewayFactory.AliceKey);
            var id = (await Api.CreateSession(alice, Api.SmallSession("via-client"))).GetProperty("id").GetString()!;
            var running = await Api.WaitForStatus(alice, id, "RUNNING");
            Assert.Equal(TestCluster.NodeId, running.GetProperty("agent").GetString());
            Assert.Contains(id, await Api.ListIds(alice));

            await alice.DeleteAsync($"/v1/sessions/{id}");
            await Api.WaitForStatus(alice, id, "TERMINATED");
        }
        finally
        {
            await silo.StopAsync();
        }
    }
}
