using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Granary.GatewayTests;

/// <summary>/metrics in Prometheus text: the series that follow sessions move when one is created and deleted.
/// Each test runs an all-in-one of its own: the gauges track this process's agent grains by node id, and every test
/// all-in-one in the process has a node of the same id, so the one made last is the one the gauges read.</summary>
[Collection(GatewayCollection.Name)]
public sealed partial class MetricsTests
{
    private const string Node = $"node=\"{TestCluster.NodeId}\"";

    [Fact]
    public async Task Session_series_move_when_a_session_is_created_and_deleted()
    {
        await using var factory = GatewayFactory.WithSettings(new Dictionary<string, string?>());
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        using var scraper = factory.ClientWithKey(null);
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        await Api.WaitForAgents(admin, 1);
        var before = await Scrape(scraper);

        var id = (await Api.CreateSession(alice, Api.SmallSession("metrics", new { cpu = 2, memory = "1g", fgpu = 1 }))).GetProperty("id").GetString()!;
        await Api.WaitForStatus(alice, id, "RUNNING");
        var running = await Scrape(scraper);

        Assert.Equal(Value(before, "granary_sessions", "status=\"RUNNING\"") + 1, Value(running, "granary_sessions", "status=\"RUNNING\""));
        Assert.Equal(Value(before, "granary_node_cpu_allocated_cores", Node) + 2, Value(running, "granary_node_cpu_allocated_cores", Node));
        Assert.Equal(Value(before, "granary_node_memory_allocated_bytes", Node) + (1L << 30), Value(running, "granary_node_memory_allocated_bytes", Node));
        Assert.Equal(Value(before, "granary_node_gpu_allocated", Node) + 1.0 / TestCluster.FgpuPerGpu, Value(running, "granary_node_gpu_allocated", Node), 6);
        Assert.Equal(TestCluster.Cores, Value(running, "granary_node_cpu_capacity_cores", Node));
        Assert.Equal(TestCluster.Gpus, Value(running, "granary_node_gpu_capacity", "model=\"TEST-GPU\""));
        Assert.True(Value(running, "granary_session_transitions_total", "status=\"PENDING\"") > Value(before, "granary_session_transitions_total", "status=\"PENDING\""));
        Assert.True(Value(running, "granary_session_start_duration_seconds_count") > Value(before, "granary_session_start_duration_seconds_count"));
        Assert.True(Value(running, "granary_container_start_duration_seconds_count") > Value(before, "granary_container_start_duration_seconds_count"));
        Assert.InRange(Value(running, "granary_agent_heartbeat_age_seconds", Node), 0, 60);
        Assert.Equal(0, Value(running, "granary_scheduler_queue_length", "resource_group=\"default\""));
        Assert.True(Value(running, "granary_scheduler_plan_duration_milliseconds_count") > Value(before, "granary_scheduler_plan_duration_milliseconds_count"));
        Assert.True(Value(running, "granary_scheduler_sessions_placed_total") > Value(before, "granary_scheduler_sessions_placed_total"));
        Assert.True(Value(running, "granary_app_readiness_total", "state=\"ready\"") > Value(before, "granary_app_readiness_total", "state=\"ready\""));

        // One no node can hold waits in the queue, and leaves it when deleted (CANCELLED: never placed).
        var tooBig = new { cpu = 1, memory = "1g", fgpu = TestCluster.Gpus * TestCluster.FgpuPerGpu + 1 };
        var pendingId = (await Api.CreateSession(alice, Api.SmallSession("metrics-pending", tooBig))).GetProperty("id").GetString()!;
        var queued = await ScrapeUntil(scraper, text => Value(text, "granary_scheduler_queue_length", "resource_group=\"default\"") == 1);
        Assert.Equal(Value(running, "granary_sessions", "status=\"PENDING\"") + 1, Value(queued, "granary_sessions", "status=\"PENDING\""));
        using (var deleted = await alice.DeleteAsync($"/v1/sessions/{pendingId}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        }
        await Api.WaitForStatus(alice, pendingId, "CANCELLED");
        await ScrapeUntil(scraper, text => Value(text, "granary_scheduler_queue_length", "resource_group=\"default\"") == 0);

        using (var missing = await alice.GetAsync("/v1/sessions/s-no-such-session"))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }
        using (var deleted = await alice.DeleteAsync($"/v1/sessions/{id}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        }
        await Api.WaitForStatus(alice, id, "TERMINATED");
        var after = await Scrape(scraper);

        Assert.Equal(Value(before, "granary_sessions", "status=\"RUNNING\""), Value(after, "granary_sessions", "status=\"RUNNING\""));
        Assert.Equal(Value(before, "granary_node_cpu_allocated_cores", Node), Value(after, "granary_node_cpu_allocated_cores", Node));
        Assert.Equal(Value(running, "granary_session_transitions_total", "status=\"TERMINATED\"") + 1,
            Value(after, "granary_session_transitions_total", "status=\"TERMINATED\""));
        // Requests by route template (recorded once a response is complete: the polls before the last one are).
        Assert.True(Value(after, "granary_http_server_request_duration_seconds_count", "http_route=\"/v1/sessions/{id}\"", "http_response_status_code=\"200\"") > 0);
        Assert.True(Value(after, "granary_http_server_request_duration_seconds_count", "http_route=\"/v1/sessions/{id}\"", "http_response_status_code=\"404\"") > 0);
        // Ids only: no user's name, key or session name in the exported text.
        Assert.DoesNotContain("alice", after);
        Assert.DoesNotContain(GatewayFactory.AliceKey, after);
    }

    [Fact]
    public async Task Every_granary_series_name_starts_with_granary()
    {
        await using var factory = GatewayFactory.WithSettings(new Dictionary<string, string?>());
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        await Api.WaitForAgents(admin, 1);
        using var scraper = factory.ClientWithKey(null);
        var text = await Scrape(scraper);
        var ours = text.Split('\n').Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal) && l.Contains("granary", StringComparison.Ordinal));
        Assert.All(ours, line => Assert.StartsWith("# TYPE granary_", line));
        Assert.True(text.Contains("# TYPE granary_sessions gauge", StringComparison.Ordinal), text);
        Assert.True(text.Contains("# TYPE granary_node_cpu_capacity_cores gauge", StringComparison.Ordinal), text);
    }

    private static async Task<string> Scrape(HttpClient client)
    {
        using var response = await client.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"/metrics: {(int)response.StatusCode} {text}");
        return text;
    }

    /// <summary>Scrapes until the text satisfies the condition (gauges follow the grains within a moment).</summary>
    private static async Task<string> ScrapeUntil(HttpClient client, Func<string, bool> condition)
    {
        var until = DateTime.UtcNow + Api.Patience;
        while (true)
        {
            var text = await Scrape(client);
            if (condition(text))
            {
                return text;
            }
            Assert.True(DateTime.UtcNow < until, $"/metrics did not get there within {Api.Patience}:\n{text}");
            await Task.Delay(100);
        }
    }

    /// <summary>The sum of the series named name whose labels contain every one of labels (0 when there is none).</summary>
    private static double Value(string text, string name, params string[] labels) =>
        SeriesLine().Matches(text)
            .Where(m => m.Groups["name"].Value == name && labels.All(l => m.Groups["labels"].Value.Contains(l, StringComparison.Ordinal)))
            .Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?<labels>(?:[^""}]|""[^""]*"")*)\})? (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex SeriesLine();
}
