using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Granary.GatewayTests;

[Collection(GatewayCollection.Name)]
public sealed class SessionsApiTests(GatewayFactory factory)
{
    [Fact]
    public async Task Create_returns_201_with_location_and_the_session()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        await alice.PostAsJsonAsync("/v1/folders", new { name = "data" });

        using var response = await alice.PostAsJsonAsync("/v1/sessions", new
        {
            name = "notebook-1",
            image = "python:3.11",
            resources = new { cpu = 2, memory = "4g" },
            env = new Dictionary<string, string> { ["FOO"] = "bar" },
            mounts = new[] { new { folder = "data", readOnly = true } },
        });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var session = await Api.ReadJson(response);
        var id = session.GetProperty("id").GetString()!;
        Assert.Equal($"/v1/sessions/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("notebook-1", session.GetProperty("name").GetString());
        Assert.Equal("alice", session.GetProperty("owner").GetString());
        Assert.Equal("python:3.11", session.GetProperty("image").GetString());
        Assert.Equal("interactive", session.GetProperty("type").GetString());
        Assert.Equal("default", session.GetProperty("resourceGroup").GetString());
        Assert.Equal(2m, session.GetProperty("resources").GetProperty("cpu").GetDecimal());
        Assert.Equal(4L * 1024 * 1024 * 1024, session.GetProperty("resources").GetProperty("memory").GetInt64());
        Assert.Equal(0, session.GetProperty("resources").GetProperty("gpu").GetInt32());
        var mount = Assert.Single(session.GetProperty("mounts").EnumerateArray());
        Assert.Equal("/home/work/data", mount.GetProperty("path").GetString());
        Assert.True(mount.GetProperty("readOnly").GetBoolean());
        Assert.Matches("^[A-Z]+$", session.GetProperty("status").GetString());
        Assert.True(session.TryGetProperty("createdAt", out _));

        await alice.DeleteAsync($"/v1/sessions/{id}");
    }

    [Fact]
    public async Task A_create_sent_again_with_the_same_idempotency_key_answers_the_same_session()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        using var bob = factory.ClientWithKey(GatewayFactory.BobKey);
        var key = $"retry-{Guid.NewGuid():N}";
        HttpRequestMessage Create(string idempotencyKey) => new(HttpMethod.Post, "/v1/sessions")
        {
            Content = JsonContent.Create(Api.SmallSession("idempotent")),
            Headers = { { "Idempotency-Key", idempotencyKey } },
        };

        using var first = await alice.SendAsync(Create(key));
        using var again = await alice.SendAsync(Create(key));
        using var bobs = await bob.SendAsync(Create(key));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal(HttpStatusCode.Created, bobs.StatusCode);
        var id = (await Api.ReadJson(first)).GetProperty("id").GetString()!;
        Assert.Equal(id, (await Api.ReadJson(again)).GetProperty("id").GetString());
        var bobsId = (await Api.ReadJson(bobs)).GetProperty("id").GetString()!;
        Assert.NotEqual(id, bobsId);
        Assert.Single(await Api.ListIds(alice), listed => listed == id);

        await Api.AssertValidationProblem(await alice.SendAsync(Create("has spaces")), "Idempotency-Key");
        await Api.AssertValidationProblem(await alice.SendAsync(Create(new string('k', 256))), "Idempotency-Key");

        await alice.DeleteAsync($"/v1/sessions/{id}");
        await bob.DeleteAsync($"/v1/sessions/{bobsId}");
    }

    [Fact]
    public async Task Create_without_name_generates_one()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        var session = await Api.CreateSession(alice, new { image = "python:3.11", resources = new { cpu = 1, memory = "512m" } });

        Assert.Matches("^session-[0-9a-f]{8}$", session.GetProperty("name").GetString());
        await alice.DeleteAsync($"/v1/sessions/{session.GetProperty("id").GetString()}");
    }

    [Fact]
    public async Task Session_lifecycle_create_running_list_delete_terminated()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        var created = await Api.CreateSession(alice, Api.SmallSession("lifecycle"));
        var id = created.GetProperty("id").GetString()!;

        var running = await Api.WaitForStatus(alice, id, "RUNNING");
        Assert.False(string.IsNullOrEmpty(running.GetProperty("agent").GetString()));
        Assert.NotEqual(JsonValueKind.Null, running.GetProperty("startedAt").ValueKind);

        Assert.Contains(id, await Api.ListIds(alice));
        Assert.Contains(id, await Api.ListIds(alice, "?status=RUNNING"));
        Assert.DoesNotContain(id, await Api.ListIds(alice, "?status=PENDING"));

        using var deleted = await alice.DeleteAsync($"/v1/sessions/{id}");
        Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        var accepted = await Api.ReadJson(deleted);
        Assert.Equal(id, accepted.GetProperty("id").GetString());
        Assert.Contains(accepted.GetProperty("status").GetString(), new[] { "TERMINATING", "TERMINATED" });

        var terminated = await Api.WaitForStatus(alice, id, "TERMINATED");
        Assert.NotEqual(JsonValueKind.Null, terminated.GetProperty("terminatedAt").ValueKind);
        Assert.Contains(id, await Api.ListIds(alice, "?status=terminated"));
    }

    [Fact]
    public async Task A_list_shows_only_the_callers_sessions_each_as_get_shows_it_right_after_each_change()
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        var (_, ownerKey) = await TestUsers.Create(admin, TestUsers.UniqueName("lister"));
        var (_, otherKey) = await TestUsers.Create(admin, TestUsers.UniqueName("other"));
        using var owner = factory.ClientWithKey(ownerKey);
        using var other = factory.ClientWithKey(otherKey);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await Api.CreateSession(owner, Api.SmallSession($"listed-{i}"))).GetProperty("id").GetString()!);
        }
        var othersId = (await Api.CreateSession(other, Api.SmallSession("not-listed"))).GetProperty("id").GetString()!;
        foreach (var id in ids)
        {
            await Api.WaitForStatus(owner, id, "RUNNING");
        }

        var listed = await Api.GetJson(owner, "/v1/sessions");
        Assert.Equal(ids.Order(), listed.EnumerateArray().Select(s => s.GetProperty("id").GetString()!).Order());
        foreach (var session in listed.EnumerateArray())
        {
            Assert.Equal((await Api.GetJson(owner, $"/v1/sessions/{session.GetProperty("id").GetString()}")).ToString(), session.ToString());
        }
        Assert.Equal([othersId], await Api.ListIds(other));

        // Straight after the delete (no waiting), the list shows what the delete answered or later, never RUNNING.
        using var deleted = await owner.DeleteAsync($"/v1/sessions/{ids[0]}");
        Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        var status = (await Api.GetJson(owner, "/v1/sessions")).EnumerateArray()
            .Single(s => s.GetProperty("id").GetString() == ids[0]).GetProperty("status").GetString();
        Assert.Contains(status, new[] { "TERMINATING", "TERMINATED" });
        await Api.WaitForStatus(owner, ids[0], "TERMINATED");
        Assert.Equal([ids[0]], await Api.ListIds(owner, "?status=TERMINATED"));
        Assert.Equal(ids.Skip(1).Order(), (await Api.ListIds(owner, "?status=RUNNING")).Order());
        Assert.Empty(await Api.ListIds(other, "?status=TERMINATED"));

        foreach (var id in ids.Skip(1).Append(othersId))
        {
            using var _ = await admin.DeleteAsync($"/v1/sessions/{id}");
        }
    }

    [Fact]
    public async Task Another_users_session_is_404_everywhere_and_untouched()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        using var bob = factory.ClientWithKey(GatewayFactory.BobKey);
        var session = await Api.CreateSession(alice, Api.SmallSession("private"));
        var id = session.GetProperty("id").GetString()!;

        foreach (var path in new[] { $"/v1/sessions/{id}", $"/v1/sessions/{id}/events", $"/v1/sessions/{id}/logs", $"/v1/sessions/{id}/apps" })
        {
            using var get = await bob.GetAsync(path);
            await Api.AssertProblem(get, HttpStatusCode.NotFound);
        }

        using (var delete = await bob.DeleteAsync($"/v1/sessions/{id}"))
        {
            await Api.AssertProblem(delete, HttpStatusCode.NotFound);
        }

        Assert.DoesNotContain(id, await Api.ListIds(bob));
        var still = await Api.GetJson(alice, $"/v1/sessions/{id}");
        Assert.DoesNotContain(still.GetProperty("status").GetString(), new[] { "TERMINATING", "TERMINATED", "CANCELLED" });

        await alice.DeleteAsync($"/v1/sessions/{id}");
    }

    [Fact]
    public async Task Nonexistent_session_is_404_problem()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        using var get = await alice.GetAsync("/v1/sessions/0123456789abcdef0123456789abcdef");
        await Api.AssertProblem(get, HttpStatusCode.NotFound);
        using var delete = await alice.DeleteAsync("/v1/sessions/0123456789abcdef0123456789abcdef");
        await Api.AssertProblem(delete, HttpStatusCode.NotFound);
        using var junk = await alice.GetAsync("/v1/sessions/not%20an%20id!");
        await Api.AssertProblem(junk, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Admin_sees_every_session_only_with_all()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        var session = await Api.CreateSession(alice, Api.SmallSession("for-admin"));
        var id = session.GetProperty("id").GetString()!;

        Assert.Contains(id, await Api.ListIds(admin, "?all=true"));
        Assert.DoesNotContain(id, await Api.ListIds(admin));
        Assert.Equal("alice", (await Api.GetJson(admin, $"/v1/sessions/{id}")).GetProperty("owner").GetString());

        using var deleted = await admin.DeleteAsync($"/v1/sessions/{id}");
        Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
    }

    [Fact]
    public async Task User_asking_for_all_sessions_is_403_problem()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        using var response = await alice.GetAsync("/v1/sessions?all=true");
        await Api.AssertProblem(response, HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData("?status=SLEEPING", "status")]
    [InlineData("?status=4", "status")]
    [InlineData("?all=maybe", "all")]
    public async Task Bad_list_query_is_400_naming_the_parameter(string query, string field)
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        using var response = await admin.GetAsync("/v1/sessions" + query);
        await Api.AssertValidationProblem(response, field);
    }

    [Fact]
    public async Task Logs_are_text()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        var session = await Api.CreateSession(alice, Api.SmallSession("logs"));
        var id = session.GetProperty("id").GetString()!;
        await Api.WaitForStatus(alice, id, "RUNNING");

        using var logs = await alice.GetAsync($"/v1/sessions/{id}/logs?tail=50");
        Assert.Equal(HttpStatusCode.OK, logs.StatusCode);
        Assert.Equal("text/plain", logs.Content.Headers.ContentType?.MediaType);

        using var badTail = await alice.GetAsync($"/v1/sessions/{id}/logs?tail=-1");
        await Api.AssertValidationProblem(badTail, "tail");

        await alice.DeleteAsync($"/v1/sessions/{id}");
    }

    [Fact]
    public async Task Apps_lists_the_sessions_apps()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        var session = await Api.CreateSession(alice, Api.SmallSession("apps"));
        var id = session.GetProperty("id").GetString()!;
        var running = await Api.WaitForStatus(alice, id, "RUNNING");

        var apps = await Api.GetJson(alice, $"/v1/sessions/{id}/apps");

        Assert.Equal(running.GetProperty("apps").ToString(), apps.ToString());
        var byName = apps.EnumerateArray().ToDictionary(a => a.GetProperty("name").GetString()!);
        Assert.Equal(["jupyter", "ssh", "terminal"], byName.Keys.Order());
        Assert.Equal($"http://{id}.apps.localhost/v1/sessions/{id}/apps/terminal/", byName["terminal"].GetProperty("url").GetString());
        Assert.Equal("http", byName["jupyter"].GetProperty("protocol").GetString());
        Assert.Equal($"http://{id}.apps.localhost/v1/sessions/{id}/apps/jupyter/", byName["jupyter"].GetProperty("url").GetString());
        Assert.Equal("tcp", byName["ssh"].GetProperty("protocol").GetString());
        Assert.StartsWith("tcp://", byName["ssh"].GetProperty("url").GetString());

        await alice.DeleteAsync($"/v1/sessions/{id}");
    }

    [Fact]
    public async Task Ssh_gives_the_owner_the_sessions_key_and_address()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        using var bob = factory.ClientWithKey(GatewayFactory.BobKey);
        var id = (await Api.CreateSession(alice, Api.SmallSession("ssh"))).GetProperty("id").GetString()!;
        var running = await Api.WaitForStatus(alice, id, "RUNNING");
        var sshApp = running.GetProperty("apps").EnumerateArray().Single(a => a.GetProperty("name").GetString() == "ssh");

        var ssh = await Api.GetJson(alice, $"/v1/sessions/{id}/ssh");

        Assert.Equal("work", ssh.GetProperty("user").GetString());
        Assert.Equal($"tcp://{ssh.GetProperty("host").GetString()}:{ssh.GetProperty("port").GetInt32()}", sshApp.GetProperty("url").GetString());
        Assert.StartsWith("-----BEGIN EC PRIVATE KEY-----", ssh.GetProperty("privateKey").GetString());
        using (var other = await bob.GetAsync($"/v1/sessions/{id}/ssh"))
        {
            await Api.AssertProblem(other, HttpStatusCode.NotFound);
        }

        await alice.DeleteAsync($"/v1/sessions/{id}");
        await Api.WaitForStatus(alice, id, "TERMINATED");
        using var ended = await alice.GetAsync($"/v1/sessions/{id}/ssh");
        await Api.AssertProblem(ended, HttpStatusCode.Conflict);
        Assert.Equal(0, (await Api.GetJson(alice, $"/v1/sessions/{id}/apps")).GetArrayLength());
    }

    [Fact]
    public async Task A_mig_profile_on_a_cluster_without_mig_stays_pending_saying_why()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        var session = await Api.CreateSession(alice, Api.SmallSession("mig", new { cpu = 1, memory = "1g", mig = "1g.10gb" }));
        var id = session.GetProperty("id").GetString()!;
        Assert.Equal("1g.10gb", session.GetProperty("resources").GetProperty("mig").GetString());

        var pending = await Eventually.Value(
            () => Api.GetJson(alice, $"/v1/sessions/{id}"),
            s => s.GetProperty("statusReason").GetString()?.Contains("MIG", StringComparison.Ordinal) == true,
            "the session's pending reason names MIG");

        Assert.Equal("PENDING", pending.GetProperty("status").GetString());
        Assert.Equal("no agent has MIG instances of profile 1g.10gb", pending.GetProperty("statusReason").GetString());
        using var deleted = await alice.DeleteAsync($"/v1/sessions/{id}");
        Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
    }

    [Fact]
    public async Task Deleting_a_pending_session_that_cannot_fit_cancels_it()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        var session = await Api.CreateSession(alice, Api.SmallSession("too-big", new { cpu = 512, memory = "1g" }));
        var id = session.GetProperty("id").GetString()!;
        Assert.Equal("PENDING", (await Api.GetJson(alice, $"/v1/sessions/{id}")).GetProperty("status").GetString());

        using var deleted = await alice.DeleteAsync($"/v1/sessions/{id}");

        Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        await Api.WaitForStatus(alice, id, "CANCELLED");
    }
}
