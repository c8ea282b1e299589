using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Granary.TestHelpers;
using Npgsql;

namespace Granary.Benchmarks.Deployment;

/// <summary>
/// The deployment under test: a PostgreSQL database of its own (with the given synchronous_commit), migrated;
/// manager silos, agent silos each hosting its share of the simulated nodes, and client-mode gateways, all separate
/// processes on 127.0.0.1 with free ports. Logs go to .test-results/deployment-benchmark/DATABASE/.
/// </summary>
public sealed class DeploymentCluster : IAsyncDisposable
{
    private readonly string _serverConnection;
    private readonly List<(string Role, GranaryProcess Process)> _processes = [];

    private DeploymentCluster(string serverConnection, string synchronousCommit, int poolSize)
    {
        _serverConnection = serverConnection;
        Database = $"granary_bench_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
        ConnectionString = new NpgsqlConnectionStringBuilder(serverConnection) { Database = Database, MaxPoolSize = poolSize }.ConnectionString;
        SynchronousCommit = synchronousCommit;
        LogDirectory = Path.Combine(Repository.Root, ".test-results", "deployment-benchmark", Database);
    }

    public string Database { get; }
    public string ConnectionString { get; }
    public string SynchronousCommit { get; }
    public string LogDirectory { get; }
    public string AdminKey { get; } = "admin-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
    public List<Uri> Gateways { get; } = [];

    /// <summary>From starting the first silo until a gateway sees every node alive.</summary>
    public TimeSpan StartTime { get; private set; }

    public static async Task<DeploymentCluster> Start(DeploymentOptions options, string synchronousCommit)
    {
        var server = Environment.GetEnvironmentVariable(LocalGranary.PostgresVariable)
            ?? throw new InvalidOperationException($"{LocalGranary.PostgresVariable} is not set (a PostgreSQL server's connection string).");
        var cluster = new DeploymentCluster(server, synchronousCommit, options.PoolSize);
        // Interrupted (SIGTERM, Ctrl+C), the benchmark leaves no process behind; its database (named on the first
        // line it prints) is then left for DROP DATABASE by hand.
        AppDomain.CurrentDomain.ProcessExit += cluster.KillAll;
        try
        {
            await cluster.Deploy(options);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    public HttpClient Admin(Uri gateway)
    {
        var client = new HttpClient { BaseAddress = gateway, Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return client;
    }

    private async Task Deploy(DeploymentOptions options)
    {
        var siloDll = options.Binaries is null ? GranaryProcess.SiloDll : Path.Combine(options.Binaries, "silo", "granary-silo.dll");
        var gatewayDll = options.Binaries is null ? GranaryProcess.GatewayDll : Path.Combine(options.Binaries, "gateway", "granary-gateway.dll");
        Directory.CreateDirectory(LogDirectory);
        await Execute(_serverConnection, $"CREATE DATABASE \"{Database}\"");
        Console.Error.WriteLine($"  database {Database}, logs in {LogDirectory}");
        // A setting of this database alone: every connection the processes open to it starts with it.
        await Execute(_serverConnection, $"ALTER DATABASE \"{Database}\" SET synchronous_commit = {SynchronousCommit}");
        var migrate = Run(siloDll, ["migrate", "--connection", ConnectionString], [], "migrate.log");
        if (await migrate.WaitForExit(TimeSpan.FromMinutes(2)) != 0)
        {
            throw new InvalidOperationException("migrate failed:\n" + migrate.Tail(40));
        }

        var started = DateTime.UtcNow;
        for (var i = 0; i < options.Managers; i++)
        {
            // The scheduler's plan-pass durations and the session counters, to read during a run.
            var settings = Silo("manager");
            var metricsPort = GranaryProcess.FreePort();
            settings["Granary__Metrics__Port"] = metricsPort.ToString();
            Console.Error.WriteLine($"  manager {i + 1}: metrics at http://localhost:{metricsPort}/metrics");
            Run(siloDll, ["run"], settings, $"manager-{i + 1}.log");
        }
        for (var i = 0; i < options.AgentProcesses; i++)
        {
            var settings = Silo("agent");
            settings["Granary__Agent__SimulatedNodes__Count"] = NodesOn(i, options.Nodes, options.AgentProcesses).ToString();
            settings["Granary__Agent__SimulatedNodes__Prefix"] = $"a{i + 1}-n";
            settings["Granary__Agent__SimulatedNodes__CpuCores"] = "64";
            settings["Granary__Agent__SimulatedNodes__Memory"] = "512g";
            settings["Granary__Agent__SimulatedNodes__GpusPerNode"] = "8";
            settings["Granary__Agent__Simulated__StartDelay"] = "00:00:00";
            // The node the settings file configures (node-1) would be claimed by every agent process: each gets its
            // own id and GPUs instead, in a resource group no session asks for.
            settings["Granary__Agent__Nodes__0__Id"] = $"a{i + 1}-configured";
            settings["Granary__Agent__Nodes__0__ResourceGroup"] = "unused";
            settings["Granary__Agent__Nodes__0__Gpus__0__Uuid"] = $"GPU-a{i + 1}-configured-0";
            settings["Granary__Agent__Nodes__0__Gpus__1__Uuid"] = $"GPU-a{i + 1}-configured-1";
            Run(siloDll, ["run"], settings, $"agent-{i + 1}.log");
        }
        for (var i = 0; i < options.Gateways; i++)
        {
            var url = new Uri($"http://127.0.0.1:{GranaryProcess.FreePort()}");
            var settings = Common();
            settings["Granary__Gateway__Mode"] = "client";
            settings["Granary__Auth__AdminKey"] = AdminKey;
            // The benchmark is the only client: the per-key rate limit would measure itself.
            settings["Granary__RateLimit__PermitsPerSecond"] = "1000000";
            settings["Granary__RateLimit__Burst"] = "1000000";
            settings["Granary__DataDirectory"] = Path.Combine(LogDirectory, $"gateway-{i + 1}-data");
            var gateway = Run(gatewayDll, ["--contentRoot", Path.Combine(Repository.Root, "gateway"), "--urls", url.ToString()],
                settings, $"gateway-{i + 1}.log");
            await gateway.WaitUntilAnswering(new Uri(url, "/healthz"), TimeSpan.FromMinutes(5));
            Gateways.Add(url);
        }
        await WaitForNodes(options.Nodes + options.AgentProcesses);
        StartTime = DateTime.UtcNow - started;
    }

    private async Task WaitForNodes(int nodes)
    {
        using var admin = Admin(Gateways[0]);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(15);
        while (true)
        {
            var alive = 0;
            try
            {
                var agents = await admin.GetFromJsonAsync<JsonElement>("/v1/agents");
                alive = agents.EnumerateArray().Count(a => a.GetProperty("status").GetString() == "alive");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
            {
                // The cluster is still forming.
            }
            if (alive >= nodes)
            {
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Only {alive} of {nodes} nodes alive after 15 minutes; logs in {LogDirectory}.");
            }
            await Task.Delay(1000);
        }
    }

    /// <summary>CPU time the deployment's processes have used so far (user + system, from /proc/PID/stat).</summary>
    public Dictionary<string, TimeSpan> CpuTime() => _processes.Where(p => !p.Process.HasExited)
        .GroupBy(p => p.Role)
        .ToDictionary(g => g.Key, g => TimeSpan.FromSeconds(g.Sum(p =>
        {
            // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
            var stat = File.ReadAllText($"/proc/{p.Process.Id}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (double.Parse(fields[11]) + double.Parse(fields[12])) / ClockTicksPerSecond;
        })));

    private const double ClockTicksPerSecond = 100;

    private void KillAll(object? sender, EventArgs e)
    {
        foreach (var (_, process) in _processes.Where(p => !p.Process.HasExited))
        {
            process.Kill().GetAwaiter().GetResult();
        }
    }

    private Dictionary<string, string?> Silo(string roles)
    {
        var settings = Common();
        settings["Granary__Roles"] = roles;
        settings["Granary__SiloPort"] = GranaryProcess.FreePort().ToString();
        settings["Granary__GatewayPort"] = GranaryProcess.FreePort().ToString();
        return settings;
    }

    private Dictionary<string, string?> Common() => new()
    {
        ["Granary__Clustering"] = "adonet",
        ["Granary__Database__ConnectionString"] = ConnectionString,
        ["Granary__ClusterId"] = Database,
        ["Granary__ServiceId"] = Database,
        ["Granary__AdvertisedIp"] = "127.0.0.1",
        ["Granary__DataDirectory"] = Path.Combine(LogDirectory, "data"),
        ["Granary__Folders__Root"] = Path.Combine(LogDirectory, "folders"),
    };

    private static int NodesOn(int process, int nodes, int processes) => nodes / processes + (process < nodes % processes ? 1 : 0);

    private GranaryProcess Run(string dll, string[] args, Dictionary<string, string?> settings, string log)
    {
        var process = GranaryProcess.Start(dll, args, settings, Path.Combine(LogDirectory, log));
        _processes.Add((log.Split('-', '.')[0], process));
        return process;
    }

    private static async Task Execute(string connection, string sql)
    {
        await using var open = new NpgsqlConnection(connection);
        await open.OpenAsync();
        await using var command = new NpgsqlCommand(sql, open);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= KillAll;
        foreach (var (_, process) in Enumerable.Reverse(_processes))
        {
            await process.DisposeAsync();
        }
        NpgsqlConnection.ClearAllPools();
        await Execute(_serverConnection, $"DROP DATABASE IF EXISTS \"{Database}\" WITH (FORCE)");
    }
}
