using System.Diagnostics;
using Granary.Scheduling;
using Granary.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.TestingHost;

namespace Granary.Benchmarks.Throughput;

/// <summary>
/// An in-process Orleans cluster: silo 0 is the manager (schedulers, sessions, registries), the others are
/// agent silos, each standing for its share of the simulated nodes (Granary:Agent:SimulatedNodes) with the
/// zero-delay simulated container runtime. Silos talk over loopback TCP as separate processes would.
/// </summary>
public sealed class BenchmarkCluster : IAsyncDisposable
{
    public const string Group = "bench";
    public static readonly CallProfile Profile = new();
    private const string ManagerSilo = "Silo_0";

    private BenchmarkCluster(InProcessTestCluster cluster, RunningWatch watch, TimeSpan registration)
    {
        Cluster = cluster;
        Watch = watch;
        RegistrationTime = registration;
    }

    public InProcessTestCluster Cluster { get; }
    public IClusterClient Client => Cluster.Client;
    public RunningWatch Watch { get; }

    /// <summary>From deploying the silos until the scheduler's view holds every agent.</summary>
    public TimeSpan RegistrationTime { get; }

    public static async Task<BenchmarkCluster> Start(int agents, int agentSilos, string? policy = null, TimeSpan? replan = null)
    {
        var watch = new RunningWatch();
        var builder = new InProcessTestClusterBuilder((short)(1 + agentSilos));
        // Clients (the REST gateway in a deployment) talk to the manager silo, where sessions live; a gateway on
        // every agent silo would forward most creates through a second hop.
        builder.Options.GatewayPerSilo = false;
        builder.ConfigureSiloHost((silo, host) =>
        {
            var isManager = silo.SiloName == ManagerSilo;
            var index = int.Parse(silo.SiloName["Silo_".Length..]);
            host.Configuration.AddInMemoryCollection(ConfigurationFor(isManager, index, NodesOn(index, agents, agentSilos), policy, replan));
            host.Logging.ClearProviders().AddSimpleConsole(console => console.SingleLine = true).SetMinimumLevel(LogLevelFromEnvironment());
            host.UseOrleans(siloBuilder =>
            {
                siloBuilder.AddGranary(host.Configuration);
                if (CallProfile.Enabled)
                {
                    siloBuilder.AddIncomingGrainCallFilter(Profile);
                }
                if (isManager)
                {
                    siloBuilder.AddIncomingGrainCallFilter(watch);
                }
            });
        });
        builder.ConfigureClientHost(host => host.Logging.SetMinimumLevel(LogLevel.Warning));

        var started = Stopwatch.StartNew();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        var scheduler = cluster.Client.GetGrain<ISchedulerGrain>(Group);
        while ((await scheduler.GetStatus()).Agents < agents)
        {
            if (started.Elapsed > TimeSpan.FromMinutes(30))
            {
                throw new TimeoutException($"Only {(await scheduler.GetStatus()).Agents} of {agents} agents reached the scheduler.");
            }
            await Task.Delay(200);
        }
        return new BenchmarkCluster(cluster, watch, started.Elapsed);
    }

    public async ValueTask DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>GRANARY_BENCH_LOG (e.g. Information) shows the silos' logs; by default only warnings and errors.</summary>
    private static LogLevel LogLevelFromEnvironment() =>
        Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("GRANARY_BENCH_LOG"), out var level) ? level : LogLevel.Warning;

    private static int NodesOn(int siloIndex, int agents, int agentSilos)
    {
        if (siloIndex == 0)
        {
            return 0;
        }
        var share = agents / agentSilos;
        return siloIndex <= agents % agentSilos ? share + 1 : share;
    }

    private static Dictionary<string, string?> ConfigurationFor(bool isManager, int siloIndex, int nodes, string? policy, TimeSpan? replan) => new()
    {
        ["Granary:Scheduler:Policy"] = policy ?? new SchedulerOptions().Policy,
        ["Granary:Scheduler:Replan"] = replan?.ToString(),
        ["Granary:Roles"] = isManager ? "manager" : "agent",
        ["Granary:Agent:SimulatedNodes:Count"] = nodes.ToString(),
        ["Granary:Agent:SimulatedNodes:Prefix"] = $"s{siloIndex}-n",
        ["Granary:Agent:SimulatedNodes:ResourceGroup"] = Group,
        ["Granary:Agent:SimulatedNodes:CpuCores"] = "64",
        ["Granary:Agent:SimulatedNodes:Memory"] = "512g",
        ["Granary:Agent:SimulatedNodes:GpusPerNode"] = "8",
        ["Granary:Agent:Simulated:StartDelay"] = "00:00:00",
    };
}
