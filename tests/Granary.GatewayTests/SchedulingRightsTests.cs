using System.Net;
using System.Net.Http.Json;

namespace Granary.GatewayTests;

/// <summary>Resource groups beyond the default and priorities above 0 are the admin's to grant.</summary>
[Collection(GatewayCollection.Name)]
public sealed class SchedulingRightsTests(GatewayFactory factory)
{
    [Theory]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"resourceGroup\": \"gpu\"}", "resourceGroup")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"priority\": 5}", "priority")]
    public async Task A_group_or_priority_not_granted_is_403_naming_the_field_and_creates_nothing(string body, string field)
    {
        using var carol = factory.ClientWithKey(GatewayFactory.CarolKey);
        var before = await Api.ListIds(carol);

        using var response = await Api.PostRaw(carol, "/v1/sessions", body);

        await Api.AssertProblem(response, HttpStatusCode.Forbidden);
        var problem = await Api.ReadJson(response);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Equal(before.Order(), (await Api.ListIds(carol)).Order());
    }

    [Fact]
    public async Task An_admin_grants_groups_and_priority_on_the_user()
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        var name = TestUsers.UniqueName("rights");
        var (_, key) = await TestUsers.Create(admin, name);
        using var user = factory.ClientWithKey(key);
        var ask = new { image = "python:3.11", resources = new { cpu = 0.5, memory = "256m" }, resourceGroup = "batch", priority = 7 };
        await Api.AssertProblem(await user.PostAsJsonAsync("/v1/sessions", ask), HttpStatusCode.Forbidden);

        using var patched = await admin.PatchAsJsonAsync($"/v1/users/{name}", new { resourceGroups = new[] { "batch" }, maxPriority = 7 });
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var me = await Api.GetJson(user, "/v1/me");
        Assert.Equal(7, me.GetProperty("maxPriority").GetInt32());

        var session = await Api.CreateSession(user, ask);
        Assert.Equal(("batch", 7), (session.GetProperty("resourceGroup").GetString(), session.GetProperty("priority").GetInt32()));
        await user.DeleteAsync($"/v1/sessions/{session.GetProperty("id").GetString()}");
        await admin.DeleteAsync($"/v1/users/{name}");
    }

    [Theory]
    [InlineData("{\"maxPriority\": 101}", "maxPriority")]
    [InlineData("{\"maxPriority\": \"high\"}", "maxPriority")]
    [InlineData("{\"resourceGroups\": [\"Not OK\"]}", "resourceGroups[0]")]
    [InlineData("{\"resourceGroups\": \"batch\"}", "resourceGroups")]
    [InlineData("{\"policy\": \"no-such-policy\"}", "policy")]
    [InlineData("{\"role\": \"root\"}", "role")]
    [InlineData("{\"name\": \"renamed\"}", "name")]
    public async Task Bad_user_changes_are_400_naming_the_field_and_change_nothing(string body, string field)
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        var name = TestUsers.UniqueName("patch");
        await TestUsers.Create(admin, name);
        var before = (await Api.GetJson(admin, $"/v1/users/{name}")).ToString();

        using var response = await admin.PatchAsync($"/v1/users/{name}", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        await Api.AssertValidationProblem(response, field);
        Assert.Equal(before, (await Api.GetJson(admin, $"/v1/users/{name}")).ToString());
        await admin.DeleteAsync($"/v1/users/{name}");
    }
}
