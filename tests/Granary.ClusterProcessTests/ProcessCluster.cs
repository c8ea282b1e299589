using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Npgsql;

namespace Granary.ClusterProcessTests;

/// <summary>
/// A Granary cluster of real OS processes on one PostgreSQL database of its own: managers, agents (simulated driver,
/// node ids node-a, node-b, … with two 5-fGPU GPUs each) and client-mode gateways, each on its own loopback address
/// (127.0.0.x) and its own free ports. Node loss bounds are short (LostAfter 5 s, LostGrace 15 s) so tests see them.
/// </summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    public const string AdminKey = "process-cluster-admin-key-0123456789";
    public static readonly TimeSpan LostAfter = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan LostGrace = TimeSpan.FromSeconds(15);
    /// <summary>The gateways' Orleans response timeout: a call to a silo that died answers 503 after at most this.
    /// Below the default (15 s) but above what a create takes on this shared 2-core machine at its busiest.</summary>
    public static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(8);
    public const int CpuCores = 8;
    public const int GpusPerNode = 2;
    public const int FgpuPerGpu = 5;

    private static int _nextHost = 10 + Random.Shared.Next(200);
    private readonly string _serverConnection;
    private readonly string _logDirectory;
    private readonly IReadOnlyList<string> _siloSettings;

    public string Database { get; }
    public string ConnectionString { get; }
    public List<GranaryProcess> Managers { get; } = [];
    public Dictionary<string, GranaryProcess> Agents { get; } = [];
    public List<(GranaryProcess Process, Uri Url)> Gateways { get; } = [];

    private ProcessCluster(string serverConnection, string database, string logDirectory, IReadOnlyList<string> siloSettings)
    {
        _siloSettings = siloSettings;
        _serverConnection = serverConnection;
        Database = database;
        ConnectionString = new NpgsqlConnectionStringBuilder(serverConnection) { Database = database, Pooling = true }.ConnectionString;
        _logDirectory = logDirectory;
    }

    /// <summary>Creates a fresh database on the server of GRANARY_PG_CONNECTION (or the given one), migrates it, and
    /// starts the processes: managers first, then agents, then gateways; returns once every agent is alive.
    /// siloSettings: further command-line settings for every silo (also those started later).</summary>
    public static async Task<ProcessCluster> Start(string name, int managers = 2, int agents = 2, int gateways = 2,
        string? serverConnection = null, IReadOnlyList<string>? siloSettings = null)
    {
        serverConnection ??= Environment.GetEnvironmentVariable("GRANARY_PG_CONNECTION")
            ?? throw new InvalidOperationException("GRANARY_PG_CONNECTION is not set: eval \"$(bash deploy/scripts/postgres-up.sh)\" (test.sh does).");
        var database = $"granary_proc_{name}_{Guid.NewGuid():N}"[..40].ToLowerInvariant();
        var logs = Path.Combine(Repository.Root, ".test-results", "cluster-processes", database);
        Directory.CreateDirectory(logs);
        await using (var connection = new NpgsqlConnection(serverConnection))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", connection);
            await create.ExecuteNonQueryAsync();
        }
        var cluster = new ProcessCluster(serverConnection, database, logs, siloSettings ?? []);
        try
        {
            await cluster.StartProcesses(managers, agents, gateways);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    private async Task StartProcesses(int managers, int agents, int gateways)
    {
        var cluster = this;
        var logs = _logDirectory;
        var migrate = new GranaryProcess("migrate", BuiltExecutables.SiloDll, ["migrate", "--connection", cluster.ConnectionString], Path.Combine(logs, "migrate.log"));
        migrate.Start();
        Assert.True(await migrate.WaitForExit(TimeSpan.FromSeconds(60)) == 0, "migrate failed:\n" + migrate.Log());

        for (var i = 0; i < managers; i++)
        {
            cluster.Managers.Add(cluster.Silo($"manager-{i + 1}", "manager", null, []));
        }
        foreach (var manager in cluster.Managers)
        {
            manager.Start();
        }
        for (var i = 0; i < agents; i++)
        {
            var node = $"node-{(char)('a' + i)}";
            cluster.Agents[node] = cluster.Agent(node);
            cluster.Agents[node].Start();
        }
        for (var i = 0; i < gateways; i++)
        {
            var host = NextHost();
            var url = new Uri($"http://{host}:{FreePort()}");
            var process = new GranaryProcess($"gateway-{i + 1}", BuiltExecutables.GatewayDll,
            [
                "--contentRoot", Path.Combine(Repository.Root, "gateway"),
                "--urls", url.ToString(),
                "--Granary:Gateway:Mode=client",
                "--Granary:Gateway:ResponseTimeout=" + ResponseTimeout,
                "--Granary:Auth:AdminKey=" + AdminKey,
                // The tests drive everything with the admin key, faster than one person would: no 429 from the
                // per-key rate limit (RateLimitTests covers it).
                "--Granary:RateLimit:PermitsPerSecond=100000",
                "--Granary:RateLimit:Burst=100000",
                "--Granary:DataDirectory=" + Path.Combine(logs, $"gateway-{i + 1}-data"),
                .. cluster.Common(),
            ], Path.Combine(logs, $"gateway-{i + 1}.log"));
            cluster.Gateways.Add((process, url));
        }
        foreach (var (process, _) in cluster.Gateways)
        {
            process.Start();
        }
        for (var i = 0; i < gateways; i++)
        {
            await cluster.GatewayReady(i);
        }
    }

    /// <summary>Waits until the gateway answers and sees every agent alive (after its start or a restart).</summary>
    public async Task GatewayReady(int index)
    {
        using var client = Gateway(index);
        await Until(async () => (await AliveAgents(client)).Count == Agents.Count, StartPatience, $"{Agents.Count} agents alive through {Gateways[index].Url}");
    }

    /// <summary>Starts again every agent whose process ended (a test that failed midway, or a silo the cluster declared
    /// dead) and waits until every gateway sees all agents alive, so one test's failure does not fail the next.</summary>
    public async Task RestartStoppedAgents()
    {
        var stopped = Agents.Values.Where(a => !a.Running).ToList();
        foreach (var agent in stopped)
        {
            Console.WriteLine($"{agent.Name} had stopped; starting it again for the next test (its log: {agent.LogFile})");
            agent.Start();
        }
        for (var i = 0; i < Gateways.Count && stopped.Count > 0; i++)
        {
            await GatewayReady(i);
        }
    }

    /// <summary>How long processes may take to start: the machine these tests run on is often shared and loaded.</summary>
    public static readonly TimeSpan StartPatience = TimeSpan.FromMinutes(4);

    /// <summary>Polls until the condition holds; on timeout fails with the tail of every process's log.</summary>
    public async Task Until(Func<Task<bool>> condition, TimeSpan patience, string what)
    {
        var deadline = DateTime.UtcNow + patience;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                var logs = string.Join("\n", Gateways.Select(g => g.Process).Concat(Agents.Values).Concat(Managers)
                    .Select(p => $"--- {p.Name} ({p.LogFile}):\n{Tail(p.Log(), 1500)}"));
                throw new TimeoutException($"Still not true after {patience}: {what}.\n{logs}");
            }
            await Task.Delay(200);
        }
    }

    private static string Tail(string text, int length) => text.Length <= length ? text : text[^length..];

    public HttpClient Gateway(int index = 0) => Client(Gateways[index].Url);

    public static HttpClient Client(Uri url)
    {
        var client = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return client;
    }

    /// <summary>Node ids the agents listing shows as alive (an unreachable gateway or cluster counts as none).</summary>
    public static async Task<List<string>> AliveAgents(HttpClient client)
    {
        try
        {
            var agents = await client.GetFromJsonAsync<JsonElement>("/v1/agents");
            return [.. agents.EnumerateArray().Where(a => a.GetProperty("status").GetString() == "alive" && a.GetProperty("reachable").GetBoolean())
                .Select(a => a.GetProperty("id").GetString()!)];
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            return [];
        }
    }

    /// <summary>An agent silo for one node; its GPUs are GPU-{gpusOf}-0 and -1 (gpusOf defaults to the node id);
    /// more: further command-line settings.</summary>
    public GranaryProcess Agent(string node, string? gpusOf = null, string? name = null, string? cgroup = null, IReadOnlyList<string>? more = null) =>
        Silo(name ?? node, "agent", cgroup,
        [
            "--Granary:Agent:Nodes:0:Id=" + node,
            "--Granary:Agent:Nodes:0:CpuCores=" + CpuCores,
            "--Granary:Agent:Nodes:0:Memory=64g",
            "--Granary:Agent:Nodes:0:FgpuPerGpu=" + FgpuPerGpu,
            .. Enumerable.Range(0, GpusPerNode).SelectMany(g => new[]
            {
                $"--Granary:Agent:Nodes:0:Gpus:{g}:Uuid=GPU-{gpusOf ?? node}-{g}",
                $"--Granary:Agent:Nodes:0:Gpus:{g}:Model=SIM",
                $"--Granary:Agent:Nodes:0:Gpus:{g}:Memory=16g",
            }),
            "--Granary:Agent:Driver=simulated",
            "--Granary:Agent:ClaimPatience=00:00:05",
            .. more ?? [],
        ]);

    private GranaryProcess Silo(string name, string roles, string? cgroup, string[] more)
    {
        var host = NextHost();
        return new GranaryProcess(name, BuiltExecutables.SiloDll,
        [
            "run",
            "--Granary:Roles=" + roles,
            "--Granary:AdvertisedIp=" + host,
            "--Granary:SiloPort=" + FreePort(),
            "--Granary:GatewayPort=" + FreePort(),
            .. Common(),
            .. _siloSettings,
            .. more,
        ], Path.Combine(_logDirectory, name + ".log"))
        { Address = host, Cgroup = cgroup };
    }

    private string[] Common() =>
    [
        "--Granary:Clustering=adonet",
        "--Granary:Database:ConnectionString=" + ConnectionString,
        "--Granary:ClusterId=" + Database,
        "--Granary:ServiceId=" + Database,
        "--Granary:Agent:LostAfter=" + LostAfter,
        "--Granary:Agent:LostGrace=" + LostGrace,
        "--Granary:Agent:LivenessInterval=00:00:00.500",
        "--Granary:Agent:HeartbeatInterval=00:00:02",
        "--Granary:Scheduler:Interval=00:00:01",
        "--Logging:LogLevel:Default=Information",
    ];

    private static string NextHost() => $"127.0.0.{Interlocked.Increment(ref _nextHost) % 250 + 2}";

    internal static int FreePort()
    {
        // Free on every address, so the port is free on the process's own 127.0.0.x too.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Any, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in Gateways.Select(g => g.Process).Concat(Agents.Values).Concat(Managers))
        {
            process.Dispose();
        }
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_serverConnection);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Database}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
