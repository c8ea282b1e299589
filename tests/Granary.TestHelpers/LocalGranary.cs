using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Npgsql;

namespace Granary.TestHelpers;

/// <summary>What <see cref="LocalGranary"/> starts.</summary>
/// <param name="Name">Prefix of the node id, database and directories (a random suffix is added).</param>
/// <param name="DockerEndpoint">The Docker daemon the node runs sessions on.</param>
/// <param name="SeparateAgent">The node's agent in a silo process of its own (so it can be restarted) beside a
/// gateway whose silo is the manager only; otherwise one all-in-one process with both roles.</param>
/// <param name="LogDirectory">Where each process's output is written (gateway.log, agent-N.log).</param>
/// <param name="Settings">Extra Granary settings for every process, as environment variables (Granary__…).</param>
public sealed record LocalGranaryOptions(
    string Name,
    string DockerEndpoint,
    bool SeparateAgent,
    string LogDirectory,
    IReadOnlyDictionary<string, string?>? Settings = null,
    int CpuCores = 2,
    string Memory = "6g");

/// <summary>
/// Granary deployed on this machine as an operator would: its state in a PostgreSQL database of its own (created
/// and migrated here, on the server GRANARY_PG_CONNECTION names, reached with a connection string that carries a
/// password), the gateway process serving REST, and one node running sessions on the Docker driver. Every process
/// logs at Debug level, all categories, so a test sees everything the processes could ever log.
/// </summary>
public sealed class LocalGranary : IAsyncDisposable
{
    public const string PostgresVariable = "GRANARY_PG_CONNECTION";

    private readonly LocalGranaryOptions _options;
    private readonly string _serverConnection;
    private readonly int _agentSiloPort = GranaryProcess.FreePort();
    private readonly int _agentGatewayPort = GranaryProcess.FreePort();
    private int _agentStarts;
    private int _clientGateways;

    private LocalGranary(LocalGranaryOptions options, string serverConnection)
    {
        _options = options;
        _serverConnection = serverConnection;
        var suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        NodeId = $"{options.Name}-{suffix}";
        DatabaseName = $"granary_{options.Name.Replace('-', '_')}_{suffix}";
        AdminKey = "admin-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        DatabasePassword = "pw-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        DataDirectory = Directory.CreateTempSubdirectory($"granary-{options.Name}-").FullName;
        ConnectionString = new NpgsqlConnectionStringBuilder(serverConnection) { Database = DatabaseName, Password = DatabasePassword }.ConnectionString;
        BaseUrl = new Uri($"http://127.0.0.1:{GranaryProcess.FreePort()}");
    }

    public string NodeId { get; }
    public string DatabaseName { get; }
    public string AdminKey { get; }

    /// <summary>The password in the connection string every process is given (the test server trusts local
    /// connections, so any password opens it; what matters is that the processes hold one).</summary>
    public string DatabasePassword { get; }

    public string ConnectionString { get; }
    public string DataDirectory { get; }
    public string FolderRoot => Path.Combine(DataDirectory, "folders");
    public Uri BaseUrl { get; }
    public GranaryProcess Gateway { get; private set; } = null!;
    public GranaryProcess? Agent { get; private set; }

    /// <summary>Every line every process of this deployment wrote (the gateway's and all agents' so far).</summary>
    public IEnumerable<string> AllOutput => _processes.SelectMany(p => p.Output);

    private readonly List<GranaryProcess> _processes = [];

    public static async Task<LocalGranary> Start(LocalGranaryOptions options)
    {
        var server = Environment.GetEnvironmentVariable(PostgresVariable);
        if (string.IsNullOrWhiteSpace(server))
        {
            throw new InvalidOperationException(
                $"{PostgresVariable} is not set: start PostgreSQL with `eval \"$(bash deploy/scripts/postgres-up.sh)\"` (test.sh does).");
        }
        Directory.CreateDirectory(options.LogDirectory);
        var granary = new LocalGranary(options, server);
        try
        {
            await granary.CreateDatabase();
            granary.Gateway = granary.Run(GranaryProcess.GatewayDll, ["--contentRoot", Path.Combine(Repository.Root, "gateway"), "--urls", granary.BaseUrl.ToString()],
            granary.GatewaySettings(), "gateway.log");
            await granary.Gateway.WaitUntilAnswering(new Uri(granary.BaseUrl, "/healthz"), TimeSpan.FromMinutes(3));
            if (options.SeparateAgent)
            {
                granary.StartAgent();
            }
            await granary.WaitForNode();
            return granary;
        }
        catch
        {
            await granary.DisposeAsync();
            throw;
        }
    }

    public HttpClient Client(string key, HttpMessageHandler? handler = null) => Client(key, BaseUrl, handler);

    /// <summary>A client of the gateway at <paramref name="gateway"/> (e.g. one <see cref="StartClientGateway"/> started).</summary>
    public static HttpClient Client(string key, Uri gateway, HttpMessageHandler? handler = null)
    {
        var client = new HttpClient(handler ?? new HttpClientHandler()) { BaseAddress = gateway, Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>Starts one more gateway, in client mode (an Orleans client of this deployment's cluster, as every
    /// gateway beside the first of a real deployment is), and returns its URL once it answers.</summary>
    public async Task<Uri> StartClientGateway()
    {
        _clientGateways++;
        var url = new Uri($"http://127.0.0.1:{GranaryProcess.FreePort()}");
        var settings = CommonSettings();
        settings["Granary__Gateway__Mode"] = "client";
        settings["Granary__Auth__AdminKey"] = AdminKey;
        settings["Granary__DataDirectory"] = Path.Combine(DataDirectory, $"gateway-{_clientGateways + 1}");
        var gateway = Run(GranaryProcess.GatewayDll, ["--contentRoot", Path.Combine(Repository.Root, "gateway"), "--urls", url.ToString()],
            settings, $"gateway-{_clientGateways + 1}.log");
        await gateway.WaitUntilAnswering(new Uri(url, "/healthz"), TimeSpan.FromMinutes(3));
        return url;
    }

    /// <summary>Kills the agent silo (SIGKILL, as a crash would) and starts a new one for the same node.</summary>
    public async Task RestartAgent()
    {
        if (Agent is null)
        {
            throw new InvalidOperationException("This deployment has no separate agent process.");
        }
        await Agent.Kill();
        StartAgent();
        await WaitForNode();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in Enumerable.Reverse(_processes))
        {
            await process.DisposeAsync();
        }
        NpgsqlConnection.ClearAllPools();
        await Execute(_serverConnection, $"DROP DATABASE IF EXISTS \"{DatabaseName}\" WITH (FORCE)");
        await UnmountFolderRoot();
        Directory.Delete(DataDirectory, recursive: true);
    }

    /// <summary>An agent that was killed leaves its nosuid bind on the folder root (its successor uses that mount as
    /// it finds it and, not having made it, leaves it too): unmounted here so the data directory can be deleted.</summary>
    private async Task UnmountFolderRoot()
    {
        while (File.ReadLines("/proc/self/mountinfo").Any(line => line.Split(' ')[4] == FolderRoot))
        {
            using var umount = Process.Start("umount", ["--lazy", FolderRoot]);
            await umount.WaitForExitAsync();
            if (umount.ExitCode != 0)
            {
                throw new IOException($"umount --lazy {FolderRoot} exited with {umount.ExitCode}");
            }
        }
    }

    private void StartAgent()
    {
        _agentStarts++;
        Agent = Run(GranaryProcess.SiloDll, ["run"], AgentSettings(), $"agent-{_agentStarts}.log");
    }

    /// <summary>Waits until the node answers GET /v1/agents/{id} as reachable.</summary>
    public async Task WaitForNode()
    {
        using var admin = Client(AdminKey);
        await Eventually.True(async () =>
        {
            using var response = await admin.GetAsync($"/v1/agents/{NodeId}");
            if (!response.IsSuccessStatusCode)
            {
                return false;
            }
            var agent = await response.Content.ReadFromJsonAsync<JsonElement>();
            return agent.GetProperty("reachable").GetBoolean();
        }, $"node {NodeId} is reachable through the gateway");
    }

    private GranaryProcess Run(string dll, string[] args, Dictionary<string, string?> settings, string log)
    {
        var process = GranaryProcess.Start(dll, args, settings, Path.Combine(_options.LogDirectory, log));
        _processes.Add(process);
        return process;
    }

    private Dictionary<string, string?> CommonSettings()
    {
        var settings = new Dictionary<string, string?>
        {
            // Everything logged: every category at Debug (the settings files raise some categories to Warning).
            ["Logging__LogLevel__Default"] = "Debug",
            ["Logging__LogLevel__Microsoft"] = "Debug",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Debug",
            ["Logging__LogLevel__Orleans"] = "Debug",
            ["Logging__LogLevel__Polly"] = "Debug",
            ["Logging__LogLevel__Yarp"] = "Debug",
            ["Granary__Clustering"] = "adonet",
            ["Granary__Database__ConnectionString"] = ConnectionString,
            ["Granary__ClusterId"] = DatabaseName,
            ["Granary__ServiceId"] = DatabaseName,
            ["Granary__AdvertisedIp"] = "127.0.0.1",
            ["Granary__DataDirectory"] = DataDirectory,
            ["Granary__Folders__Root"] = FolderRoot,
            ["DOCKER_HOST"] = _options.DockerEndpoint,
        };
        foreach (var (key, value) in _options.Settings ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        return settings;
    }

    private Dictionary<string, string?> NodeSettings() => new()
    {
        ["Granary__Agent__Driver"] = "docker",
        ["Granary__Agent__Docker__Endpoint"] = _options.DockerEndpoint,
        ["Granary__Agent__Gpus__Discovery"] = "nvml",
        ["Granary__Agent__Nodes__0__Id"] = NodeId,
        ["Granary__Agent__Nodes__0__ResourceGroup"] = "default",
        ["Granary__Agent__Nodes__0__CpuCores"] = _options.CpuCores.ToString(),
        ["Granary__Agent__Nodes__0__Memory"] = _options.Memory,
        ["Granary__Agent__HeartbeatInterval"] = "00:00:02",
    };

    private Dictionary<string, string?> GatewaySettings()
    {
        var settings = CommonSettings();
        settings["Granary__Gateway__Mode"] = "all-in-one";
        settings["Granary__Auth__AdminKey"] = AdminKey;
        settings["Granary__SiloPort"] = GranaryProcess.FreePort().ToString();
        settings["Granary__GatewayPort"] = GranaryProcess.FreePort().ToString();
        if (_options.SeparateAgent)
        {
            settings["Granary__Roles"] = "manager";
        }
        else
        {
            settings["Granary__Roles"] = "manager,agent";
            foreach (var (key, value) in NodeSettings())
            {
                settings[key] = value;
            }
        }
        return settings;
    }

    private Dictionary<string, string?> AgentSettings()
    {
        var settings = CommonSettings();
        settings["Granary__Roles"] = "agent";
        settings["Granary__SiloPort"] = _agentSiloPort.ToString();
        settings["Granary__GatewayPort"] = _agentGatewayPort.ToString();
        foreach (var (key, value) in NodeSettings())
        {
            settings[key] = value;
        }
        return settings;
    }

    private async Task CreateDatabase()
    {
        await Execute(_serverConnection, $"CREATE DATABASE \"{DatabaseName}\"");
        var migrate = Run(GranaryProcess.SiloDll, ["migrate", "--connection", ConnectionString], [], "migrate.log");
        var exit = await migrate.WaitForExit(TimeSpan.FromMinutes(2));
        if (exit != 0)
        {
            throw new InvalidOperationException($"granary-silo migrate failed ({exit}):\n{migrate.Tail(20)}");
        }
    }

    private static async Task Execute(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
