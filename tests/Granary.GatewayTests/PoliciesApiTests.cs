using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;

namespace Granary.GatewayTests;

[Collection(GatewayCollection.Name)]
public sealed class PoliciesApiTests(GatewayFactory factory)
{
    private static object Small(string name) => Api.SmallSession(name, new { cpu = 0.5, memory = "256m" });

    private async Task<(string Name, HttpClient Client)> UserWithPolicy(HttpClient admin, object policy)
    {
        var (name, key) = await UserKeyWithPolicy(admin, policy);
        return (name, factory.ClientWithKey(key));
    }

    private static async Task<(string Name, string Key)> UserKeyWithPolicy(HttpClient admin, object policy)
    {
        var policyName = TestUsers.UniqueName("p");
        using var put = await admin.PutAsJsonAsync($"/v1/policies/{policyName}", policy);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        var name = TestUsers.UniqueName("q");
        var (_, key) = await TestUsers.Create(admin, name, new { name, policy = policyName });
        return (name, key);
    }

    [Fact]
    public async Task Two_hundred_concurrent_creates_by_a_user_limited_to_three_leave_exactly_three_running()
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        var (name, user) = await UserWithPolicy(admin, new { maxConcurrentSessions = 3 });
        using (user)
        {
            var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => user.PostAsJsonAsync("/v1/sessions", Small($"c{i}"))));
            var created = responses.Where(r => r.StatusCode == HttpStatusCode.Created).ToArray();
            var refused = responses.Where(r => r.StatusCode == HttpStatusCode.Forbidden).ToArray();

            Assert.Equal(3, created.Length);
            Assert.Equal(197, refused.Length);
            var problem = await Api.ReadJson(refused[0]);
            Assert.Equal("maxConcurrentSessions", problem.GetProperty("limit").GetString());
            Assert.Equal("application/problem+json", refused[0].Content.Headers.ContentType?.MediaType);
            var ids = await Task.WhenAll(created.Select(async r => (await Api.ReadJson(r)).GetProperty("id").GetString()!));
            foreach (var id in ids)
            {
                await Api.WaitForStatus(user, id, "RUNNING");
            }

            Assert.Equal(ids.Order(), (await Api.ListIds(user)).Order());
            foreach (var response in responses)
            {
                response.Dispose();
            }

            foreach (var id in ids)
            {
                await user.DeleteAsync($"/v1/sessions/{id}");
            }
        }

        await admin.DeleteAsync($"/v1/users/{name}");
    }

    [Fact]
    public async Task A_queueing_policy_keeps_the_create_pending_with_the_limit_until_it_fits()
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        var (name, user) = await UserWithPolicy(admin, new { maxConcurrentSessions = 1, overLimit = "queue" });
        using (user)
        {
            var first = (await Api.CreateSession(user, Small("first"))).GetProperty("id").GetString()!;
            var second = await Api.CreateSession(user, Small("second"));
            Assert.Equal("PENDING", second.GetProperty("status").GetString());
            Assert.Contains("maxConcurrentSessions", second.GetProperty("statusReason").GetString());

            await user.DeleteAsync($"/v1/sessions/{first}");
            var secondId = second.GetProperty("id").GetString()!;
            await Api.WaitForStatus(user, secondId, "RUNNING");
            await user.DeleteAsync($"/v1/sessions/{secondId}");
        }

        await admin.DeleteAsync($"/v1/users/{name}");
    }

    [Fact]
    public async Task Totals_groups_and_images_of_the_policy_are_refused_naming_the_limit_and_create_nothing()
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        var (name, user) = await UserWithPolicy(admin, new { cpu = 1, images = new[] { "python:3.11" } });
        using (user)
        {
            var first = (await Api.CreateSession(user, Small("half"))).GetProperty("id").GetString()!;
            using var overCpu = await user.PostAsJsonAsync("/v1/sessions", Api.SmallSession("more", new { cpu = 1, memory = "256m" }));
            Assert.Equal("cpu", (await Api.ReadJson(overCpu)).GetProperty("limit").GetString());
            using var otherImage = await user.PostAsJsonAsync("/v1/sessions", new { image = "base:1", resources = new { cpu = 0.1, memory = "64m" } });
            Assert.Equal("images", (await Api.ReadJson(otherImage)).GetProperty("limit").GetString());
            Assert.Equal([first], await Api.ListIds(user));
            await user.DeleteAsync($"/v1/sessions/{first}");
        }

        await admin.DeleteAsync($"/v1/users/{name}");
    }

    [Fact]
    public async Task Max_lifetime_ends_the_session_with_the_reason()
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        var (name, user) = await UserWithPolicy(admin, new { maxLifetime = 2 });
        using (user)
        {
            var id = (await Api.CreateSession(user, Small("short"))).GetProperty("id").GetString()!;
            await Api.WaitForStatus(user, id, "RUNNING");

            var ended = await EventuallyEnded(user, id);

            Assert.Equal("TERMINATED", ended.GetProperty("status").GetString());
            Assert.Contains("maxLifetime", ended.GetProperty("statusReason").GetString());
        }

        await admin.DeleteAsync($"/v1/users/{name}");
    }

    [Fact]
    public async Task Idle_timeout_spares_a_session_used_through_the_app_proxy_and_ends_it_once_unused()
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        var (name, user) = await UserWithPolicy(admin, new { idleTimeout = 2 });
        using (user)
        {
            var id = (await Api.CreateSession(user, Small("idle"))).GetProperty("id").GetString()!;
            await Api.WaitForStatus(user, id, "RUNNING");

            var usedUntil = DateTime.UtcNow + TimeSpan.FromSeconds(4);
            while (DateTime.UtcNow < usedUntil)
            {
                // The simulated app does not answer; the request through the proxy is what counts as use.
                using var _ = await user.GetAsync($"/v1/sessions/{id}/apps/jupyter/");
                await Task.Delay(300);
            }

            Assert.Equal("RUNNING", (await Api.GetJson(user, $"/v1/sessions/{id}")).GetProperty("status").GetString());
            var ended = await EventuallyEnded(user, id);
            Assert.Contains("idleTimeout", ended.GetProperty("statusReason").GetString());
        }

        await admin.DeleteAsync($"/v1/users/{name}");
    }

    [Fact]
    public async Task Idle_timeout_spares_a_session_whose_terminal_gets_input_and_ends_it_once_unused()
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        var (name, key) = await UserKeyWithPolicy(admin, new { idleTimeout = 2 });
        using var user = factory.ClientWithKey(key);
        var id = (await Api.CreateSession(user, Small("typed"))).GetProperty("id").GetString()!;
        await Api.WaitForStatus(user, id, "RUNNING");
        using var patience = new CancellationTokenSource(Api.Patience);
        var terminals = factory.Server.CreateWebSocketClient();
        terminals.ConfigureRequest = request => request.Headers.Authorization = $"Bearer {key}";

        using (var socket = await terminals.ConnectAsync(new Uri(factory.Server.BaseAddress, $"/v1/sessions/{id}/terminal"), patience.Token))
        {
            var typedUntil = DateTime.UtcNow + TimeSpan.FromSeconds(4);
            while (DateTime.UtcNow < typedUntil)
            {
                // Keystrokes are the use; an open terminal nobody types into is not.
                await socket.SendAsync("x"u8.ToArray(), WebSocketMessageType.Binary, true, patience.Token);
                await Task.Delay(300);
            }

            Assert.Equal("RUNNING", (await Api.GetJson(user, $"/v1/sessions/{id}")).GetProperty("status").GetString());
            var ended = await EventuallyEnded(user, id);
            Assert.Contains("idleTimeout", ended.GetProperty("statusReason").GetString());
        }

        await admin.DeleteAsync($"/v1/users/{name}");
    }

    [Fact]
    public async Task Policies_are_listed_replaced_and_deleted_and_one_in_use_is_not_deleted()
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        var policy = TestUsers.UniqueName("crud");
        using (var created = await admin.PutAsJsonAsync($"/v1/policies/{policy}", new { maxConcurrentSessions = 2, memory = "8g", maxLifetime = 3600, overLimit = "queue" }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var json = await Api.ReadJson(created);
            Assert.Equal(8L << 30, json.GetProperty("memory").GetInt64());
            Assert.Equal(3600, json.GetProperty("maxLifetime").GetDouble());
            Assert.Equal("queue", json.GetProperty("overLimit").GetString());
        }

        using (var replaced = await admin.PutAsJsonAsync($"/v1/policies/{policy}", new { maxConcurrentSessions = 5 }))
        {
            Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        }

        var listed = await Api.GetJson(admin, "/v1/policies");
        var entry = listed.EnumerateArray().Single(p => p.GetProperty("name").GetString() == policy);
        Assert.Equal(5, entry.GetProperty("maxConcurrentSessions").GetInt32());
        Assert.Equal(JsonValueKind.Null, entry.GetProperty("memory").ValueKind);

        var name = TestUsers.UniqueName("holder");
        await TestUsers.Create(admin, name, new { name, policy });
        await Api.AssertProblem(await admin.DeleteAsync($"/v1/policies/{policy}"), HttpStatusCode.Conflict);
        using (var patched = await admin.PatchAsJsonAsync($"/v1/users/{name}", new { policy = "default" }))
        {
            Assert.Equal("default", (await Api.ReadJson(patched)).GetProperty("policy").GetString());
        }

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/v1/policies/{policy}")).StatusCode);
        await Api.AssertProblem(await admin.GetAsync($"/v1/policies/{policy}"), HttpStatusCode.NotFound);
        await admin.DeleteAsync($"/v1/users/{name}");
    }

    [Theory]
    [InlineData("{\"maxConcurrentSessions\": -1}", "maxConcurrentSessions")]
    [InlineData("{\"maxPendingSessions\": \"many\"}", "maxPendingSessions")]
    [InlineData("{\"cpu\": -2}", "cpu")]
    [InlineData("{\"memory\": \"lots\"}", "memory")]
    [InlineData("{\"fgpu\": 1e30}", "fgpu")]
    [InlineData("{\"resourceGroups\": [\"Bad Group\"]}", "resourceGroups[0]")]
    [InlineData("{\"images\": [\"../etc\"]}", "images[0]")]
    [InlineData("{\"maxLifetime\": 0}", "maxLifetime")]
    [InlineData("{\"idleTimeout\": -5}", "idleTimeout")]
    [InlineData("{\"overLimit\": \"wait\"}", "overLimit")]
    [InlineData("{\"overLimit\": \"1\"}", "overLimit")]
    [InlineData("{\"maxSessions\": 3}", "maxSessions")]
    [InlineData("nope", "body")]
    public async Task Bad_policies_are_400_naming_the_field_and_change_nothing(string body, string field)
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        var name = TestUsers.UniqueName("bad");

        await Api.AssertValidationProblem(await admin.PutAsync($"/v1/policies/{name}", new StringContent(body, System.Text.Encoding.UTF8, "application/json")), field);

        await Api.AssertProblem(await admin.GetAsync($"/v1/policies/{name}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_bad_policy_name_is_400()
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        await Api.AssertValidationProblem(await admin.PutAsJsonAsync("/v1/policies/Not%20Good", new { }), "name");
    }

    [Fact]
    public async Task Users_cannot_manage_policies_or_choose_their_own()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        await Api.AssertProblem(await alice.GetAsync("/v1/policies"), HttpStatusCode.Forbidden);
        await Api.AssertProblem(await alice.PutAsJsonAsync("/v1/policies/mine", new { }), HttpStatusCode.Forbidden);
        await Api.AssertProblem(await alice.DeleteAsync("/v1/policies/default"), HttpStatusCode.Forbidden);
        await Api.AssertProblem(await alice.PatchAsJsonAsync("/v1/users/alice", new { policy = "default" }), HttpStatusCode.Forbidden);
    }

    private static async Task<JsonElement> EventuallyEnded(HttpClient client, string id)
    {
        using var patience = new CancellationTokenSource(Api.Patience);
        while (true)
        {
            var session = await Api.GetJson(client, $"/v1/sessions/{id}");
            if (session.GetProperty("status").GetString() is "TERMINATED" or "ERROR" or "CANCELLED")
            {
                return session;
            }

            Assert.False(patience.IsCancellationRequested, $"session {id} never ended");
            await Task.Delay(100);
        }
    }
}
