using System.Diagnostics;
using System.Text.Json;

namespace Granary.ClusterProcessTests;

/// <summary>Orleans declares a silo that misses 3 probes in a row (about 10 s) dead, and that silo stops when it wakes;
/// 10 lets a node stall through LostAfter and most of LostGrace, which is what these tests are about.</summary>
public sealed class NodeLossFixture() : ProcessClusterFixture("loss", siloSettings: ["--Granary:Membership:NumMissedProbesLimit=10"]);

/// <summary>Two managers, two agents, two gateways as processes; each test leaves the cluster as it found it.</summary>
public sealed class NodeLossTests(NodeLossFixture fixture) : IClassFixture<NodeLossFixture>, IAsyncLifetime
{
    private ProcessCluster Cluster => fixture.Cluster;

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Every agent runs, every session in the cluster is deleted (also one whose create answered 503 but
    /// happened) and every agent is free again.</summary>
    public async Task DisposeAsync()
    {
        await Cluster.RestartStoppedAgents();
        using var client = Cluster.Gateway();
        await Rest.DeleteEverything(client);
    }

    [Fact]
    public async Task Sessions_created_through_both_gateways_land_on_both_agents()
    {
        using var first = Cluster.Gateway(0);
        using var second = Cluster.Gateway(1);
        var created = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            created.Add((await Rest.Create(i % 2 == 0 ? first : second, Rest.Session(gpu: 1))).GetProperty("id").GetString()!);
        }
        var agents = new HashSet<string>();
        foreach (var id in created)
        {
            agents.Add(Rest.Agent(await Rest.WaitForStatus(second, id, "RUNNING"))!);
        }
        Assert.Equal(["node-a", "node-b"], agents.Order());
        Assert.Equal(4, (await Rest.AssertNoOverAllocation(first)).Count);
    }

    [Fact]
    public async Task Killed_agent_is_lost_then_its_sessions_end_agent_lost_and_a_late_return_runs_nothing_twice()
    {
        using var client = Cluster.Gateway(0);
        // Four whole GPUs fill both nodes: two sessions on each.
        var sessions = new List<JsonElement>();
        for (var i = 0; i < 4; i++)
        {
            sessions.Add(await Rest.Create(client, Rest.Session(gpu: 1)));
        }
        var running = new List<JsonElement>();
        foreach (var s in sessions)
        {
            running.Add(await Rest.WaitForStatus(client, s.GetProperty("id").GetString()!, "RUNNING"));
        }
        var onB = running.Where(s => Rest.Agent(s) == "node-b").Select(s => s.GetProperty("id").GetString()!).ToArray();
        Assert.Equal(2, onB.Length);

        var killedAt = DateTimeOffset.UtcNow;
        Cluster.Agents["node-b"].Kill();

        // Lost within LostAfter (plus the time to notice): listed as such, fast, with its last heartbeat.
        var b = await Rest.WaitForAgentStatus(client, "node-b", "lost");
        var markedLostAfter = DateTimeOffset.UtcNow - killedAt;
        Assert.False(b.GetProperty("reachable").GetBoolean());
        var lastHeartbeat = b.GetProperty("lastHeartbeat").GetDateTimeOffset();
        Assert.InRange(lastHeartbeat, killedAt - TimeSpan.FromSeconds(3), killedAt + TimeSpan.FromSeconds(1));
        Assert.DoesNotContain("Exception", b.GetProperty("error").GetString());
        var listing = Stopwatch.StartNew();
        await Rest.Agents(client);
        Assert.True(listing.Elapsed < TimeSpan.FromSeconds(2), $"listing agents with one lost took {listing.Elapsed}");

        foreach (var id in onB)
        {
            var session = await Rest.WaitFor(client, id, s => s.GetProperty("nodeUnreachableSince").ValueKind != JsonValueKind.Null, "shows its node unreachable");
            Assert.Equal("RUNNING", Rest.Status(session));
            Assert.Contains("unreachable", session.GetProperty("statusReason").GetString());
        }

        // Nothing new goes to the lost node: node-a is full, so a new session waits.
        var waiting = (await Rest.Create(client, Rest.Session(gpu: 1))).GetProperty("id").GetString()!;
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal("PENDING", Rest.Status(await Rest.Get(client, $"/v1/sessions/{waiting}")));

        // After its grace its sessions end agent-lost.
        foreach (var id in onB)
        {
            var ended = await Rest.WaitForStatus(client, id, "ERROR");
            Assert.StartsWith("agent-lost", ended.GetProperty("statusReason").GetString());
        }
        var endedAfter = DateTimeOffset.UtcNow - killedAt;
        Assert.Equal("expired", (await Rest.Agents(client))["node-b"].GetProperty("status").GetString());

        // Back after its grace: it drops what ended, then takes the waiting session; no session is held twice.
        Cluster.Agents["node-b"].Start();
        await Rest.AssertReturnedNodeRunsNothingTwice(client, "node-b", waiting, onB);
        Console.WriteLine($"node-b marked lost {markedLostAfter.TotalSeconds:0.0} s after SIGKILL (LostAfter {ProcessCluster.LostAfter}); " +
            $"its sessions ended agent-lost after {endedAfter.TotalSeconds:0.0} s (LostGrace {ProcessCluster.LostGrace})");
    }

    [Fact]
    public async Task Agent_silent_for_less_than_its_grace_comes_back_and_its_session_continues()
    {
        using var client = Cluster.Gateway(1);
        var id = (await Rest.Create(client, Rest.Session(fgpu: 0.4m))).GetProperty("id").GetString()!;
        var node = Rest.Agent(await Rest.WaitForStatus(client, id, "RUNNING"))!;

        Cluster.Agents[node].Pause();
        var paused = Stopwatch.StartNew();
        try
        {
            await Rest.WaitForAgentStatus(client, node, "lost");
            await Rest.WaitFor(client, id, s => s.GetProperty("nodeUnreachableSince").ValueKind != JsonValueKind.Null, "shows its node unreachable");
        }
        finally
        {
            Cluster.Agents[node].Resume();
            Console.WriteLine($"{node} paused for {paused.Elapsed.TotalSeconds:0.0} s (LostAfter {ProcessCluster.LostAfter}, LostGrace {ProcessCluster.LostGrace})");
        }

        try
        {
            await Rest.WaitForAgentStatus(client, node, "alive");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{node} not alive again after a pause of {paused.Elapsed.TotalSeconds:0.0} s " +
                $"(process running: {Cluster.Agents[node].Running}); {e.Message}\n{node}'s log ends:\n{Cluster.Agents[node].Log()[^3000..]}", e);
        }
        var session = await Rest.WaitFor(client, id, s => s.GetProperty("nodeUnreachableSince").ValueKind == JsonValueKind.Null, "reachable again");
        Assert.Equal("RUNNING", Rest.Status(session));
        Assert.Equal(node, Rest.Agent(session));
        Assert.True(Cluster.Agents[node].Running, $"{node} stopped itself:\n{Cluster.Agents[node].Log()[^2000..]}");
        Assert.Contains(id, await Rest.AssertNoOverAllocation(client));
    }

    /// <summary>A gateway process talks to the managers only: Orleans routes a client's calls through the silo it
    /// picked as its gateway, so an agent that stalls (SIGSTOP here) would hold up calls to every other grain.</summary>
    [Fact]
    public async Task Only_managers_accept_clients_so_a_stalled_agent_holds_up_no_gateway()
    {
        await using var connection = new Npgsql.NpgsqlConnection(Cluster.ConnectionString);
        await connection.OpenAsync();
        await using var query = new Npgsql.NpgsqlCommand(
            "SELECT Address, ProxyPort FROM OrleansMembershipTable WHERE DeploymentId = @cluster AND Status = 3", connection);
        query.Parameters.AddWithValue("cluster", Cluster.Database);
        var proxyPorts = new Dictionary<string, int>();
        await using (var rows = await query.ExecuteReaderAsync())
        {
            while (await rows.ReadAsync())
            {
                proxyPorts[rows.GetString(0)] = rows.IsDBNull(1) ? 0 : rows.GetInt32(1);
            }
        }
        Assert.All(Cluster.Managers, m => Assert.True(proxyPorts.GetValueOrDefault(m.Address!) > 0, $"manager {m.Name} takes no clients: {string.Join(", ", proxyPorts)}"));
        Assert.All(Cluster.Agents.Values, a => Assert.Equal(0, proxyPorts[a.Address!]));
    }

    [Fact]
    public async Task Second_silo_claiming_a_live_node_id_or_its_GPUs_is_refused_at_start()
    {
        using var duplicateNode = Cluster.Agent("node-a", name: "node-a-duplicate");
        duplicateNode.Start();
        Assert.Equal(3, await duplicateNode.WaitForExit(ProcessCluster.StartPatience));
        Assert.Contains("node id 'node-a' is already hosted by the live silo", duplicateNode.Log());

        using var duplicateGpus = Cluster.Agent("node-z", gpusOf: "node-b");
        duplicateGpus.Start();
        Assert.Equal(3, await duplicateGpus.WaitForExit(ProcessCluster.StartPatience));
        Assert.Contains("GPU GPU-node-b-0 is already reported by the live node 'node-b'", duplicateGpus.Log());

        using var client = Cluster.Gateway();
        Assert.Equal(["node-a", "node-b"], (await ProcessCluster.AliveAgents(client)).Order());
    }
}
