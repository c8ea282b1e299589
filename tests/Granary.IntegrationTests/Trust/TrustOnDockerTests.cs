using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Docker.DotNet.Models;
using Granary.Agents;

namespace Granary.IntegrationTests.Trust;

/// <summary>
/// The trust checks of the gateway tests (keys, resource policies, the rate limit, refused input), run once more on
/// the real Docker driver with PostgreSQL, bounded: a key revoked stops at once, a policy's limit refuses a second
/// session and its maxLifetime ends the first (its container removed), a burst on one key meets 429 with
/// Retry-After while another key goes on, a key deleted through one gateway is refused at once by a second gateway
/// process, and a seeded fuzz of hostile session requests meets 400s naming the field and starts no container.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class TrustOnDockerTests(DockerFixture docker)
{
    /// <summary>Hostile create bodies of the fuzz (GRANARY_FUZZ_SEED sets its seed, named in every failure).</summary>
    private const int HostileBodies = 500;

    [Fact]
    public async Task Keys_policies_the_rate_limit_and_refused_input_hold_on_the_docker_driver()
    {
        var logDirectory = Directory.CreateTempSubdirectory("granary-trust-docker-").FullName;
        await using var granary = await LocalGranary.Start(new LocalGranaryOptions("trust", DockerFixture.Endpoint(), SeparateAgent: false, logDirectory,
            new Dictionary<string, string?> { ["Granary__RateLimit__PermitsPerSecond"] = "50", ["Granary__RateLimit__Burst"] = "100" }));
        using var admin = granary.Client(granary.AdminKey);
        var policy = "trust" + Guid.NewGuid().ToString("N")[..6];
        await Answers.Expect(admin.PutAsJsonAsync($"/v1/policies/{policy}", new { maxConcurrentSessions = 1, maxLifetime = 25 }), HttpStatusCode.Created);
        var name = "trust" + Guid.NewGuid().ToString("N")[..6];
        var created = await Answers.Expect(admin.PostAsJsonAsync("/v1/users", new { name, policy }), HttpStatusCode.Created);
        using var user = granary.Client(created.GetProperty("key").GetString()!);
        var extra = await Answers.Expect(user.PostAsJsonAsync("/v1/me/keys", new { name = "burst" }), HttpStatusCode.Created);
        using var burst = granary.Client(extra.GetProperty("key").GetString()!);

        // A seeded fuzz of hostile session requests: each a 400 problem naming a field it spoiled, and nothing started.
        var seed = int.TryParse(Environment.GetEnvironmentVariable("GRANARY_FUZZ_SEED"), out var s) ? s : Random.Shared.Next();
        foreach (var hostile in HostileCreateBodies.Generate(seed, HostileBodies, DockerFixture.PythonImage))
        {
            var problem = await Refused(user, hostile);
            Assert.True(problem.GetProperty("errors").EnumerateObject().Any(e => hostile.Fields.Any(f => e.Name.StartsWith(f, StringComparison.Ordinal))),
                $"GRANARY_FUZZ_SEED={seed}: {hostile.Description}: {problem}");
        }
        await Task.Delay(TimeSpan.FromSeconds(3)); // the fuzz drained the user key's bucket (100 at 50/s refills in 2 s)
        Assert.Equal(0, (await Answers.Expect(user.GetAsync("/v1/sessions"), HttpStatusCode.OK)).GetArrayLength());
        Assert.Empty(await Containers(granary.NodeId));

        // The policy: one session at a time, ended by its lifetime.
        var session = new { image = DockerFixture.PythonImage, resources = new { cpu = 0.5, memory = "512m" } };
        var id = (await Answers.Expect(user.PostAsJsonAsync("/v1/sessions", session), HttpStatusCode.Created)).GetProperty("id").GetString()!;
        var refused = await Answers.Expect(user.PostAsJsonAsync("/v1/sessions", session), HttpStatusCode.Forbidden);
        Assert.Equal("maxConcurrentSessions", refused.GetProperty("limit").GetString());
        await Eventually.Value(async () => (await Answers.Expect(user.GetAsync($"/v1/sessions/{id}"), HttpStatusCode.OK)).GetProperty("status").GetString(),
            status => status == "RUNNING", $"session {id} runs");
        Assert.Single(await Containers(granary.NodeId));

        // The rate limit is per key: a burst on one key meets 429 with Retry-After, never a 5xx; the other goes on.
        var answers = await Task.WhenAll(Enumerable.Range(0, 400).Select(async _ =>
        {
            using var response = await burst.GetAsync("/v1/me");
            return (response.StatusCode, RetryAfter: response.Headers.RetryAfter is not null);
        }));
        Assert.Contains(answers, a => a.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.All(answers, a => Assert.True(a.StatusCode == HttpStatusCode.OK || (a.StatusCode == HttpStatusCode.TooManyRequests && a.RetryAfter), a.ToString()));
        await Answers.Expect(user.GetAsync("/v1/me"), HttpStatusCode.OK);

        // A key deleted through one gateway stops at once on both, though the second (client mode, a process of its
        // own) has it cached; the user's other key works on.
        using var burstOnB = LocalGranary.Client(extra.GetProperty("key").GetString()!, await granary.StartClientGateway());
        await Task.Delay(TimeSpan.FromSeconds(3)); // the burst key's bucket refills, so the next answer is about the key
        await Answers.Expect(burst.GetAsync("/v1/me"), HttpStatusCode.OK);
        await Answers.Expect(burstOnB.GetAsync("/v1/me"), HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.NoContent, (await user.DeleteAsync($"/v1/me/keys/{extra.GetProperty("id").GetString()}")).StatusCode);
        await Answers.Expect(burstOnB.GetAsync("/v1/me"), HttpStatusCode.Unauthorized);
        await Answers.Expect(burst.GetAsync("/v1/me"), HttpStatusCode.Unauthorized);

        var ended = await Eventually.Value(async () => await Answers.Expect(user.GetAsync($"/v1/sessions/{id}"), HttpStatusCode.OK),
            s => s.GetProperty("status").GetString() is "TERMINATED" or "ERROR", $"session {id} ends by its lifetime");
        Assert.Equal("TERMINATED", ended.GetProperty("status").GetString());
        Assert.Contains("maxLifetime", ended.GetProperty("statusReason").GetString());
        await Eventually.True(async () => (await Containers(granary.NodeId)).Count == 0, $"session {id}'s container is removed");

        await Answers.Expect(admin.DeleteAsync($"/v1/users/{name}"), HttpStatusCode.NoContent, json: false);
        await Answers.Expect(user.GetAsync("/v1/me"), HttpStatusCode.Unauthorized);
    }

    /// <summary>Sends a hostile body (again after Retry-After when the rate limit refuses it) and returns the 400's problem.</summary>
    private static async Task<JsonElement> Refused(HttpClient client, HostileCreateBody hostile)
    {
        while (true)
        {
            using var content = new ByteArrayContent(hostile.Body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await client.PostAsync("/v1/sessions", content);
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
                continue;
            }
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{hostile.Description}: {(int)response.StatusCode} {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            return JsonDocument.Parse(body).RootElement.Clone();
        }
    }

    /// <summary>The containers of this Granary's node.</summary>
    private async Task<IList<ContainerListResponse>> Containers(string nodeId)
        => await docker.Docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{ContainerLabels.Node}={nodeId}"] = true },
            },
        });
}
