using Granary.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Granary.GatewayTests;

/// <summary>Settings a silo takes from the Granary section that configure Orleans itself.</summary>
public sealed class SiloSettingsTests
{
    [Fact]
    public void Granary_Membership_sets_how_many_missed_probes_declare_a_silo_dead()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(TestCluster.Settings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Granary:Membership:NumMissedProbesLimit"] = "10",
            ["Granary:Membership:ProbeTimeout"] = "00:00:07",
        });
        builder.AddGranarySilo();
        using var silo = builder.Build();

        var membership = silo.Services.GetRequiredService<IOptions<ClusterMembershipOptions>>().Value;
        Assert.Equal(10, membership.NumMissedProbesLimit);
        Assert.Equal(TimeSpan.FromSeconds(7), membership.ProbeTimeout);
    }
}
