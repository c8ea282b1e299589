using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;

namespace Granary.ClusterProcessTests;

/// <summary>
/// PostgreSQL stops under a running cluster (a manager, an agent, a gateway) and comes back: writes answer 503 with
/// Retry-After within a bound, reads served from memory keep working, /readyz says why it is not ready, and the
/// cluster recovers by itself with nothing acknowledged lost. The database is this test's own, never the shared one.
/// </summary>
public sealed class StorageOutageTests
{
    /// <summary>How long a write may take to answer 503 while the database is down (refused connections fail at
    /// once; the rest is this loaded machine's slack).</summary>
    private static readonly TimeSpan WriteBound = ProcessCluster.ResponseTimeout + TimeSpan.FromSeconds(7);

    [Fact]
    public async Task PostgreSQL_stopped_then_restarted_answers_503_meanwhile_and_recovers_by_itself()
    {
        await using var postgres = await PrivatePostgres.Start();
        await using var cluster = await ProcessCluster.Start("outage", managers: 1, agents: 1, gateways: 1, serverConnection: postgres.ServerConnection);
        using var client = cluster.Gateway();
        var before = (await Rest.Create(client, Rest.Session(cpu: 0.5m))).GetProperty("id").GetString()!;
        await Rest.WaitForStatus(client, before, "RUNNING");

        await postgres.Down();
        var write = Stopwatch.StartNew();
        using (var response = await client.PostAsJsonAsync("/v1/sessions", Rest.Session(cpu: 0.5m)))
        {
            write.Stop();
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"create with PostgreSQL down: {(int)response.StatusCode} {body}");
            Assert.NotNull(response.Headers.RetryAfter);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.DoesNotContain("Exception", body);
        }
        Assert.True(write.Elapsed < WriteBound, $"a create with PostgreSQL down took {write.Elapsed}");

        using (var ready = await client.GetAsync("/readyz"))
        {
            var body = await Rest.Json(ready);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Equal("failing", body.GetProperty("checks").GetProperty("storage").GetProperty("status").GetString());
            Assert.Contains("PostgreSQL is unreachable", body.GetProperty("detail").GetString());
        }
        // A session already active is read from memory.
        Assert.Equal("RUNNING", Rest.Status(await Rest.Get(client, $"/v1/sessions/{before}")));

        await postgres.Up();
        await cluster.Until(async () =>
        {
            using var ready = await client.GetAsync("/readyz");
            return ready.StatusCode == HttpStatusCode.OK;
        }, ProcessCluster.StartPatience, "/readyz ready again after PostgreSQL returned");
        var after = await Eventually.Value(async () =>
        {
            using var response = await client.PostAsJsonAsync("/v1/sessions", Rest.Session(cpu: 0.5m));
            return response.StatusCode == HttpStatusCode.Created ? (await Rest.Json(response)).GetProperty("id").GetString() : null;
        }, id => id is not null, "a create succeeds after PostgreSQL returned");
        await Rest.WaitForStatus(client, after!, "RUNNING");
        Assert.Equal("RUNNING", Rest.Status(await Rest.Get(client, $"/v1/sessions/{before}")));
        var listed = (await Rest.AllSessions(client)).Select(s => s.GetProperty("id").GetString()).ToHashSet();
        Assert.Contains(before, listed);
        Assert.Contains(after, listed);
        Assert.Equal(new[] { before, after! }.Order(), (await Rest.AssertNoOverAllocation(client)).Order());
        await Rest.Delete(client, before);
        await Rest.Delete(client, after!);
    }
}
