using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace Granary.GatewayTests;

[Collection(GatewayCollection.Name)]
public sealed class AuthTests(GatewayFactory factory)
{
    [Theory]
    [InlineData("/v1/sessions")]
    [InlineData("/v1/sessions/abc")]
    [InlineData("/v1/agents")]
    [InlineData("/v1/users")]
    [InlineData("/v1/me")]
    public async Task Missing_key_is_401_problem(string path)
    {
        using var client = factory.ClientWithKey(null);
        using var response = await client.GetAsync(path);
        await Api.AssertProblem(response, HttpStatusCode.Unauthorized);
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
    }

    [Fact]
    public async Task Unknown_key_is_401_problem()
    {
        using var client = factory.ClientWithKey("not-a-key-of-anyone-0123456789");
        using var response = await client.GetAsync("/v1/sessions");
        await Api.AssertProblem(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Non_bearer_authorization_is_401_problem()
    {
        using var client = factory.ClientWithKey(null);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", GatewayFactory.AliceKey);
        using var response = await client.GetAsync("/v1/sessions");
        await Api.AssertProblem(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Missing_key_creates_nothing()
    {
        using var anonymous = factory.ClientWithKey(null);
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        var before = await Api.ListIds(admin, "?all=true");

        using var response = await anonymous.PostAsJsonAsync("/v1/sessions", Api.SmallSession());

        await Api.AssertProblem(response, HttpStatusCode.Unauthorized);
        Assert.Equal(before.Order(), (await Api.ListIds(admin, "?all=true")).Order());
    }

    [Fact]
    public async Task Me_names_the_key_owner_and_role()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);

        var me = await Api.GetJson(alice, "/v1/me");
        var adminMe = await Api.GetJson(admin, "/v1/me");

        Assert.Equal("alice", me.GetProperty("name").GetString());
        Assert.Equal("user", me.GetProperty("role").GetString());
        Assert.Equal("admin", adminMe.GetProperty("name").GetString());
        Assert.Equal("admin", adminMe.GetProperty("role").GetString());
    }

    [Theory]
    [InlineData("/v1/agents")]
    [InlineData("/v1/agents/node-1")]
    [InlineData("/v1/users")]
    public async Task User_on_admin_endpoints_is_403_problem(string path)
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        using var response = await alice.GetAsync(path);
        await Api.AssertProblem(response, HttpStatusCode.Forbidden);
    }
}
