using Granary.Agents;
using Granary.Scheduling;
using Granary.Silo.Adapters.Simulated;
using Granary.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.TestingHost;

namespace Granary.ClusterTests;

/// <summary>
/// One manager silo and two agent silos. Every test works in its own resource group (its own nodes and
/// scheduler), so tests sharing the cluster do not disturb each other.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const string ManagerSilo = "Silo_0";
    public const string AgentSiloA = "Silo_1";
    public const string AgentSiloB = "Silo_2";
    public const string FailingImage = "broken:1";
    public const string HangingImage = "hang:1";
    public const string SshImage = "ssh-test:1";
    public static readonly TimeSpan StuckTimeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan AgentTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Node id → (silo, resource group).</summary>
    public static readonly IReadOnlyDictionary<string, (string Silo, string Group)> Nodes = new Dictionary<string, (string, string)>
    {
        ["spine-a"] = (AgentSiloA, "spine"),
        ["burst-a"] = (AgentSiloA, "burst"),
        ["burst-b"] = (AgentSiloB, "burst"),
        ["refusal-b"] = (AgentSiloB, "refusal"),
        ["failure-a"] = (AgentSiloA, "failure"),
        ["batch-b"] = (AgentSiloB, "batch"),
        ["reconcile-a"] = (AgentSiloA, "reconcile"),
        ["stuck-b"] = (AgentSiloB, "stuck"),
        ["apps-a"] = (AgentSiloA, "apps"),
        ["timeout-b"] = (AgentSiloB, "timeout"),
        ["planned-a"] = (AgentSiloA, PlannedGroup),
    };

    /// <summary>The group whose scheduler follows the plan its planner solves (policy "plan", re-planned every second).</summary>
    public const string PlannedGroup = "planned";

    public InProcessTestCluster Cluster { get; private set; } = null!;
    public IClusterClient Client => Cluster.Client;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSiloHost((silo, host) =>
        {
            host.Configuration.AddInMemoryCollection(ConfigurationFor(silo.SiloName));
            host.UseOrleans(siloBuilder => siloBuilder.AddGranary(host.Configuration).AddIncomingGrainCallFilter(CallFaults.Shared));
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        await Eventually.True(async () =>
        {
            var agents = await Client.GetGrain<IAgentDirectoryGrain>(IAgentDirectoryGrain.Key).List();
            return Nodes.Keys.All(agents.Contains);
        }, "every node registered");
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    public SimulatedContainerRuntime RuntimeOf(string silo) =>
        Cluster.Silos.Single(s => s.Name == silo).ServiceProvider.GetRequiredService<SimulatedContainerRuntime>();

    public SimulatedAppProbe AppProbeOf(string silo) =>
        Cluster.Silos.Single(s => s.Name == silo).ServiceProvider.GetRequiredService<SimulatedAppProbe>();

    public ISchedulerGrain Scheduler(string group) => Client.GetGrain<ISchedulerGrain>(group);

    public IAgentGrain Agent(string node) => Client.GetGrain<IAgentGrain>(node);

    private static Dictionary<string, string?> ConfigurationFor(string siloName)
    {
        var config = new Dictionary<string, string?>
        {
            ["Granary:Roles"] = siloName == ManagerSilo ? "manager" : "agent",
            ["Granary:Agent:HeartbeatInterval"] = "00:00:01",
            ["Granary:Scheduler:Interval"] = "00:00:01",
            ["Granary:Reminders:MinimumReminderPeriod"] = "00:00:01",
            ["Granary:Quota:CheckInterval"] = "00:00:01",
            ["Granary:Scheduler:AgentTimeout"] = AgentTimeout.ToString(),
            [$"Granary:Scheduler:Groups:{PlannedGroup}:Policy"] = "plan",
            ["Granary:Scheduler:Replan"] = "00:00:01",
            ["Granary:Agent:StuckTimeout"] = StuckTimeout.ToString(),
            ["Granary:Agent:Simulated:FailingImages:0"] = FailingImage,
            ["Granary:Agent:Simulated:HangingImages:0"] = HangingImage,
            ["Granary:Agent:Simulated:Images:3"] = HangingImage,
            ["Granary:Agent:Simulated:Images:0"] = "python:3.11",
            ["Granary:Agent:Simulated:Images:1"] = "base:1",
            ["Granary:Agent:Simulated:Images:2"] = FailingImage,
            ["Granary:Agent:Simulated:ImageLabels:granary.apps"] = "terminal:exec,jupyter:http:8888",
            ["Granary:Agent:Simulated:LabelledImages:0:Reference"] = SshImage,
            ["Granary:Agent:Simulated:LabelledImages:0:Labels:granary.apps"] = "terminal:exec,ssh:tcp:2200",
            ["Granary:Agent:Simulated:LabelledImages:0:Labels:granary.environment"] = "ssh-test",
            ["Granary:Agent:Simulated:LabelledImages:0:Labels:granary.version"] = "1.0",
        };
        var index = 0;
        foreach (var (node, (silo, group)) in Nodes.Where(n => n.Value.Silo == siloName))
        {
            var prefix = $"Granary:Agent:Nodes:{index++}";
            config[$"{prefix}:Id"] = node;
            config[$"{prefix}:ResourceGroup"] = group;
            config[$"{prefix}:CpuCores"] = group == "burst" ? "8" : "4";
            config[$"{prefix}:Memory"] = group == "burst" ? "32g" : "8g";
            for (var gpu = 0; gpu < 2; gpu++)
            {
                config[$"{prefix}:Gpus:{gpu}:Uuid"] = $"GPU-{node}-{gpu}";
                config[$"{prefix}:Gpus:{gpu}:Model"] = "SIM";
                config[$"{prefix}:Gpus:{gpu}:Memory"] = "16g";
            }
        }
        return config;
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
