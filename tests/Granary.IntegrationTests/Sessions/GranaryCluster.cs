using Granary.Agents;
using Granary.Silo.Adapters.Docker;
using Granary.Silo.Adapters.Storage;
using Granary.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Granary.IntegrationTests.Sessions;

/// <summary>
/// A Granary cluster in this process: a manager silo and one agent silo hosting one node, configured as
/// granary-silo would be from its "Granary" settings (the real Docker driver unless the settings say otherwise).
/// Grain state lives in one store outside the silos (an <see cref="InProcessGrainStorage"/> all silos share: a
/// stand-in for the PostgreSQL storage of a real deployment, ETags checked, so an activation of a killed silo
/// cannot overwrite newer state), so the agent silo can be killed and a new one started for the same node.
/// Dead silos are detected within seconds.
/// </summary>
public sealed class GranaryCluster : IAsyncDisposable
{
    public const string ManagerSilo = "Silo_0";
    public const string Group = "it";

    private readonly InProcessGrainStorage _store =
        new(new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<DeepCopier>());
    private readonly IReadOnlyDictionary<string, string?> _agentSettings;

    private GranaryCluster(string nodeId, IReadOnlyDictionary<string, string?> agentSettings)
    {
        NodeId = nodeId;
        _agentSettings = agentSettings;
        FolderRoot = Directory.CreateTempSubdirectory("granary-it-folders-").FullName;
    }

    public string NodeId { get; }

    /// <summary>Granary:Folders:Root of the agent: storage folders live under it.</summary>
    public string FolderRoot { get; }

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public IAgentGrain Agent => Client.GetGrain<IAgentGrain>(NodeId);

    /// <summary>The settings of an agent silo whose node runs containers on the fixture's Docker daemon.</summary>
    public static Dictionary<string, string?> DockerAgent(string endpoint) => new()
    {
        ["Granary:Agent:Driver"] = "docker",
        ["Granary:Agent:Docker:Endpoint"] = endpoint,
        ["Granary:Agent:Nodes:0:CpuCores"] = "2",
        ["Granary:Agent:Nodes:0:Memory"] = "6g",
    };

    /// <summary>A node id no other test uses.</summary>
    public static string NewNodeId(string name) => $"{name}-{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>Starts the cluster and waits until the node (default: a new id) has registered.</summary>
    public static async Task<GranaryCluster> Start(string name, IDictionary<string, string?> agentSettings, string? nodeId = null)
    {
        nodeId ??= NewNodeId(name);
        var cluster = new GranaryCluster(nodeId, new Dictionary<string, string?>(agentSettings));
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSiloHost((silo, host) =>
        {
            host.Configuration.AddInMemoryCollection(cluster.SettingsFor(silo.SiloName));
            host.UseOrleans(siloBuilder =>
            {
                siloBuilder.AddGranary(host.Configuration);
                siloBuilder.Services.AddKeyedSingleton<IGrainStorage>(GranaryStorage.Name, cluster._store);
                siloBuilder.Configure<ClusterMembershipOptions>(membership =>
                {
                    membership.NumMissedProbesLimit = 1;
                    membership.NumVotesForDeathDeclaration = 1;
                    membership.ProbeTimeout = TimeSpan.FromSeconds(1);
                    membership.TableRefreshTimeout = TimeSpan.FromSeconds(1);
                });
            });
        });
        cluster.Cluster = builder.Build();
        await cluster.Cluster.DeployAsync();
        await cluster.WaitForNode();
        return cluster;
    }

    /// <summary>The silo hosting the node (the one that is not the manager).</summary>
    public InProcessSiloHandle AgentSilo => Cluster.Silos.Single(s => s.Name != ManagerSilo);

    public T AgentService<T>() where T : notnull => AgentSilo.ServiceProvider.GetRequiredService<T>();

    /// <summary>Kills the agent silo (no shutdown: as if its process died) and waits until the cluster knows.</summary>
    public async Task KillAgentSilo()
    {
        await Cluster.KillSiloAsync(AgentSilo);
        await Cluster.WaitForLivenessToStabilizeAsync();
    }

    /// <summary>Starts a new agent silo for the same node and waits until the node has registered again.</summary>
    public async Task StartAgentSilo()
    {
        await Cluster.StartAdditionalSiloAsync();
        await WaitForNode();
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Directory.Delete(FolderRoot, recursive: true);
    }

    /// <summary>Removes every container labelled for the node (what a test left behind).</summary>
    public static async Task RemoveContainersOf(string nodeId)
    {
        using var runtime = new DockerContainerRuntime(new DockerRuntimeOptions { Endpoint = DockerFixture.Endpoint() });
        foreach (var container in await runtime.List(new Dictionary<string, string> { [ContainerLabels.Node] = nodeId }, CancellationToken.None))
            await runtime.Remove(container.Id, CancellationToken.None);
    }

    private async Task WaitForNode()
    {
        // The agent grain itself cannot be asked before the agent silo hosts it; the directory can.
        await Eventually.True(async () => (await Client.GetGrain<IAgentDirectoryGrain>(IAgentDirectoryGrain.Key).List()).Contains(NodeId),
            $"node {NodeId} registers");
        Assert.Equal(NodeId, (await Agent.GetSnapshot()).AgentId);
        await Eventually.True(async () => (await Client.GetGrain<Scheduling.ISchedulerGrain>(Group).GetStatus()).Agents == 1,
            $"the scheduler of group {Group} sees node {NodeId}");
    }

    private Dictionary<string, string?> SettingsFor(string siloName)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Granary:Roles"] = siloName == ManagerSilo ? "manager" : "agent",
            ["Granary:Agent:HeartbeatInterval"] = "00:00:01",
            ["Granary:Scheduler:Interval"] = "00:00:01",
            ["Granary:Folders:Root"] = FolderRoot,
        };
        if (siloName != ManagerSilo)
        {
            settings["Granary:Agent:Nodes:0:Id"] = NodeId;
            settings["Granary:Agent:Nodes:0:ResourceGroup"] = Group;
            foreach (var (key, value) in _agentSettings)
                settings[key] = value;
        }
        return settings;
    }
}
