using System.Net;
using System.Net.Http.Json;

namespace Granary.GatewayTests;

/// <summary>Users have stable ids; names are labels. A deleted user's things go to nobody who later takes the name.</summary>
[Collection(GatewayCollection.Name)]
public sealed class IdentityTests(GatewayFactory factory)
{
    [Fact]
    public async Task A_new_user_with_a_deleted_users_name_inherits_no_session_folder_key_or_file()
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        var name = TestUsers.UniqueName("reuse");
        var (oldId, oldKey) = await TestUsers.Create(admin, name);
        using var old = factory.ClientWithKey(oldKey);
        var extraKey = (await Api.ReadJson(await old.PostAsJsonAsync("/v1/me/keys", new { name = "laptop" }))).GetProperty("key").GetString()!;
        Assert.Equal(HttpStatusCode.Created, (await old.PostAsJsonAsync("/v1/folders", new { name = "data" })).StatusCode);
        var oldFolder = Path.Combine(factory.DataDirectory, "folders", oldId, "data");
        await File.WriteAllTextAsync(Path.Combine(oldFolder, "secret.txt"), "old user's");
        var running = (await Api.CreateSession(old, Api.SmallSession("old-running"))).GetProperty("id").GetString()!;
        await Api.WaitForStatus(old, running, "RUNNING");

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/v1/users/{name}")).StatusCode);

        // Its keys stop working at once, its session ends with the reason, its folder stays under its id.
        await Api.AssertProblem(await old.GetAsync("/v1/me"), HttpStatusCode.Unauthorized);
        using var viaExtra = factory.ClientWithKey(extraKey);
        await Api.AssertProblem(await viaExtra.GetAsync("/v1/me"), HttpStatusCode.Unauthorized);
        var ended = await Api.WaitForStatus(admin, running, "TERMINATED");
        Assert.Contains("was deleted", ended.GetProperty("statusReason").GetString());
        Assert.Equal(oldId, ended.GetProperty("ownerId").GetString());
        Assert.True(File.Exists(Path.Combine(oldFolder, "secret.txt")));

        var (newId, newKey) = await TestUsers.Create(admin, name);
        using var reborn = factory.ClientWithKey(newKey);
        Assert.NotEqual(oldId, newId);
        Assert.Equal(newId, (await Api.GetJson(reborn, "/v1/me")).GetProperty("id").GetString());
        Assert.Empty(await Api.ListIds(reborn));
        Assert.Equal(0, (await Api.GetJson(reborn, "/v1/folders")).GetArrayLength());
        await Api.AssertProblem(await reborn.GetAsync("/v1/folders/data"), HttpStatusCode.NotFound);
        await Api.AssertProblem(await reborn.GetAsync($"/v1/sessions/{running}"), HttpStatusCode.NotFound);
        var keys = await Api.GetJson(reborn, "/v1/me/keys");
        Assert.DoesNotContain(keys.EnumerateArray(), k => k.GetProperty("name").GetString() == "laptop");

        // Same folder name, new folder: the old files are not there.
        Assert.Equal(HttpStatusCode.Created, (await reborn.PostAsJsonAsync("/v1/folders", new { name = "data" })).StatusCode);
        Assert.Empty(Directory.GetFiles(Path.Combine(factory.DataDirectory, "folders", newId, "data")));

        // An admin finds the deleted user's folder by its id and hands it over under another name.
        var deleted = await Api.GetJson(admin, "/v1/users?deleted=true");
        Assert.Contains(deleted.EnumerateArray(), d => d.GetProperty("id").GetString() == oldId && d.GetProperty("name").GetString() == name);
        var orphaned = await Api.GetJson(admin, $"/v1/folders?owner={oldId}");
        Assert.Equal("data", Assert.Single(orphaned.EnumerateArray()).GetProperty("name").GetString());
        using var moved = await admin.PostAsJsonAsync($"/v1/folders/{oldId}/data/transfer", new { to = name, name = "inherited" });
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        Assert.Equal(newId, (await Api.ReadJson(moved)).GetProperty("ownerId").GetString());
        Assert.Equal("old user's", await File.ReadAllTextAsync(Path.Combine(factory.DataDirectory, "folders", newId, "inherited", "secret.txt")));
        Assert.Equal(0, (await Api.GetJson(admin, $"/v1/folders?owner={oldId}")).GetArrayLength());
        await Api.GetJson(reborn, "/v1/folders/inherited");

        await admin.DeleteAsync($"/v1/users/{name}");
    }

    [Fact]
    public async Task A_deleted_users_pending_session_is_cancelled_with_the_reason()
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        var name = TestUsers.UniqueName("pending");
        var (_, key) = await TestUsers.Create(admin, name);
        using var user = factory.ClientWithKey(key);
        var id = (await Api.CreateSession(user, Api.SmallSession("never-fits", new { cpu = 64, memory = "1g" }))).GetProperty("id").GetString()!;

        await admin.DeleteAsync($"/v1/users/{name}");

        var ended = await Api.WaitForStatus(admin, id, "CANCELLED");
        Assert.Contains($"its owner {name} was deleted", ended.GetProperty("statusReason").GetString());
    }

    [Fact]
    public async Task Only_admins_reach_other_owners_folders_and_hand_them_over()
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        using var bob = factory.ClientWithKey(GatewayFactory.BobKey);
        var folder = TestUsers.UniqueName("bobs");
        Assert.Equal(HttpStatusCode.Created, (await bob.PostAsJsonAsync("/v1/folders", new { name = folder })).StatusCode);
        var bobId = (await Api.GetJson(bob, "/v1/me")).GetProperty("id").GetString()!;

        await Api.AssertProblem(await alice.GetAsync($"/v1/folders?owner={bobId}"), HttpStatusCode.Forbidden);
        await Api.AssertProblem(await alice.PostAsJsonAsync($"/v1/folders/{bobId}/{folder}/transfer", new { to = "alice" }), HttpStatusCode.Forbidden);
        await Api.AssertProblem(await alice.DeleteAsync($"/v1/folders/{bobId}/{folder}"), HttpStatusCode.Forbidden);
        await Api.AssertProblem(await alice.DeleteAsync($"/v1/folders/{folder}"), HttpStatusCode.NotFound);
        await Api.GetJson(bob, $"/v1/folders/{folder}");

        await Api.AssertValidationProblem(await admin.PostAsJsonAsync($"/v1/folders/{bobId}/{folder}/transfer", new { to = "nobody-here" }), "to");
        await Api.AssertValidationProblem(await admin.PostAsJsonAsync($"/v1/folders/{bobId}/{folder}/transfer", new { to = "alice", name = "../x" }), "name");
        await Api.AssertValidationProblem(await Api.PostRaw(admin, $"/v1/folders/{bobId}/{folder}/transfer", "{\"to\": 1}"), "to");
        await Api.GetJson(bob, $"/v1/folders/{folder}");

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/v1/folders/{bobId}/{folder}")).StatusCode);
        await Api.AssertProblem(await bob.GetAsync($"/v1/folders/{folder}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Configured_users_are_not_deleted_or_changed_through_the_api()
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        await Api.AssertProblem(await admin.DeleteAsync("/v1/users/alice"), HttpStatusCode.Conflict);
        using var patch = await admin.PatchAsJsonAsync("/v1/users/alice", new { maxPriority = 5 });
        await Api.AssertProblem(patch, HttpStatusCode.Conflict);
        Assert.Equal("C-alice", (await Api.GetJson(admin, "/v1/users/alice")).GetProperty("id").GetString());
    }
}
