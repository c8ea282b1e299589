using System.Net;
using System.Net.Http.Json;

namespace Granary.GatewayTests;

[Collection(GatewayCollection.Name)]
public sealed class UsersApiTests(GatewayFactory factory)
{
    [Fact]
    public async Task Admin_creates_a_user_whose_key_works_until_deleted()
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);

        using var created = await admin.PostAsJsonAsync("/v1/users", new { name = "dave", role = "user" });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var user = await Api.ReadJson(created);
        var key = user.GetProperty("key").GetString()!;
        Assert.Equal("dave", user.GetProperty("name").GetString());
        Assert.True(key.Length >= 40);

        using var dave = factory.ClientWithKey(key);
        Assert.Equal("dave", (await Api.GetJson(dave, "/v1/me")).GetProperty("name").GetString());
        var users = await Api.GetJson(admin, "/v1/users");
        Assert.Contains(users.EnumerateArray(), u => u.GetProperty("name").GetString() == "dave" && u.GetProperty("source").GetString() == "api");
        Assert.Contains(users.EnumerateArray(), u => u.GetProperty("name").GetString() == "alice" && u.GetProperty("source").GetString() == "configuration");
        Assert.DoesNotContain(users.EnumerateArray(), u => u.TryGetProperty("key", out _));

        using var deleted = await admin.DeleteAsync("/v1/users/dave");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var refused = await dave.GetAsync("/v1/me");
        await Api.AssertProblem(refused, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Admin_role_user_can_use_admin_endpoints()
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        var user = await Api.ReadJson(await admin.PostAsJsonAsync("/v1/users", new { name = "erin", role = "admin" }));

        using var erin = factory.ClientWithKey(user.GetProperty("key").GetString());
        await Api.GetJson(erin, "/v1/agents");

        await admin.DeleteAsync("/v1/users/erin");
    }

    [Theory]
    [InlineData("{\"name\": \"Bad Name\"}", "name")]
    [InlineData("{\"role\": \"user\"}", "name")]
    [InlineData("{\"name\": \"frank\", \"role\": \"root\"}", "role")]
    [InlineData("{\"name\": 7}", "name")]
    [InlineData("{\"name\": ", "body")]
    public async Task Bad_user_is_400_naming_the_field(string body, string field)
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        using var response = await Api.PostRaw(admin, "/v1/users", body);
        await Api.AssertValidationProblem(response, field);
    }

    [Theory]
    [InlineData("alice")]
    [InlineData("admin")]
    public async Task Existing_user_name_is_409_problem(string name)
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        using var response = await admin.PostAsJsonAsync("/v1/users", new { name });
        await Api.AssertProblem(response, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task User_cannot_create_users()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        using var response = await alice.PostAsJsonAsync("/v1/users", new { name = "mallory" });
        await Api.AssertProblem(response, HttpStatusCode.Forbidden);
    }
}
