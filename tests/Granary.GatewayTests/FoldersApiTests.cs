using System.Net;
using System.Net.Http.Json;

namespace Granary.GatewayTests;

[Collection(GatewayCollection.Name)]
public sealed class FoldersApiTests(GatewayFactory factory)
{
    [Fact]
    public async Task Owner_creates_lists_gets_and_deletes_a_folder()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);

        using var created = await alice.PostAsJsonAsync("/v1/folders", new { name = "results" });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/v1/folders/results", created.Headers.Location?.OriginalString);
        var folder = await Api.ReadJson(created);
        Assert.Equal("results", folder.GetProperty("name").GetString());
        Assert.Equal("alice", folder.GetProperty("owner").GetString());
        Assert.Equal("C-alice", folder.GetProperty("ownerId").GetString());
        Assert.Contains((await Api.GetJson(alice, "/v1/folders")).EnumerateArray(), f => f.GetProperty("name").GetString() == "results");
        Assert.Equal("results", (await Api.GetJson(alice, "/v1/folders/results")).GetProperty("name").GetString());
        Assert.True(Directory.Exists(Path.Combine(factory.DataDirectory, "folders", "C-alice", "results")));

        await Api.AssertProblem(await alice.PostAsJsonAsync("/v1/folders", new { name = "results" }), HttpStatusCode.Conflict);

        using var deleted = await alice.DeleteAsync("/v1/folders/results");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.False(Directory.Exists(Path.Combine(factory.DataDirectory, "folders", "C-alice", "results")));
        await Api.AssertProblem(await alice.GetAsync("/v1/folders/results"), HttpStatusCode.NotFound);
        await Api.AssertProblem(await alice.DeleteAsync("/v1/folders/results"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Folders_belong_to_their_owner()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        using var bob = factory.ClientWithKey(GatewayFactory.BobKey);
        await alice.PostAsJsonAsync("/v1/folders", new { name = "private" });

        await Api.AssertProblem(await bob.GetAsync("/v1/folders/private"), HttpStatusCode.NotFound);
        await Api.AssertProblem(await bob.DeleteAsync("/v1/folders/private"), HttpStatusCode.NotFound);
        Assert.DoesNotContain((await Api.GetJson(bob, "/v1/folders")).EnumerateArray(), f => f.GetProperty("name").GetString() == "private");
        Assert.Equal(HttpStatusCode.Created, (await bob.PostAsJsonAsync("/v1/folders", new { name = "private" })).StatusCode);
        Assert.Equal("alice", (await Api.GetJson(alice, "/v1/folders/private")).GetProperty("owner").GetString());

        await alice.DeleteAsync("/v1/folders/private");
        await bob.DeleteAsync("/v1/folders/private");
    }

    [Theory]
    [InlineData("{\"name\": \"../etc\"}", "name")]
    [InlineData("{\"name\": \".hidden\"}", "name")]
    [InlineData("{\"name\": \"\"}", "name")]
    [InlineData("{}", "name")]
    [InlineData("{\"name\": 3}", "name")]
    [InlineData("{\"name\": \"ok\", \"size\": 1}", "size")]
    [InlineData("{\"name\": ", "body")]
    public async Task Bad_folder_is_400_naming_the_field(string body, string field)
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        await Api.AssertValidationProblem(await Api.PostRaw(alice, "/v1/folders", body), field);
    }

    [Fact]
    public async Task Session_mounting_a_folder_the_user_does_not_have_is_400_and_creates_nothing()
    {
        using var carol = factory.ClientWithKey(GatewayFactory.CarolKey);

        using var response = await carol.PostAsJsonAsync("/v1/sessions", new
        {
            image = "python:3.11",
            resources = new { cpu = 1, memory = "1g" },
            mounts = new[] { new { folder = "nope" } },
        });

        await Api.AssertValidationProblem(response, "mounts[0].folder");
        Assert.Empty(await Api.ListIds(carol));
    }

    [Fact]
    public async Task Session_mounts_the_owners_folder_which_cannot_be_deleted_while_the_session_lives()
    {
        using var bob = factory.ClientWithKey(GatewayFactory.BobKey);
        await bob.PostAsJsonAsync("/v1/folders", new { name = "datasets" });

        var session = await Api.CreateSession(bob, new
        {
            image = "python:3.11",
            resources = new { cpu = 1, memory = "1g" },
            mounts = new[] { new { folder = "datasets", path = "/home/work/sets", readOnly = true } },
        });

        var mount = Assert.Single(session.GetProperty("mounts").EnumerateArray());
        Assert.Equal("/home/work/sets", mount.GetProperty("path").GetString());
        var id = session.GetProperty("id").GetString()!;
        await Api.WaitForStatus(bob, id, "RUNNING");
        await Api.AssertProblem(await bob.DeleteAsync("/v1/folders/datasets"), HttpStatusCode.Conflict);
        Assert.Contains(id, (await Api.GetJson(bob, "/v1/folders/datasets")).GetProperty("mountedBy").EnumerateArray().Select(e => e.GetString()));
        await bob.DeleteAsync($"/v1/sessions/{id}");
        await Api.WaitForStatus(bob, id, "TERMINATED");
        Assert.Equal(HttpStatusCode.NoContent, (await bob.DeleteAsync("/v1/folders/datasets")).StatusCode);
    }
}
