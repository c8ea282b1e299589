using System.Net;
using System.Net.Http.Json;
using Granary.Gateway.Auth;
using Microsoft.Extensions.DependencyInjection;

namespace Granary.GatewayTests;

[Collection(GatewayCollection.Name)]
public sealed class KeysApiTests(GatewayFactory factory)
{
    [Fact]
    public async Task A_user_holds_several_keys_and_a_deleted_one_stops_working_at_once_on_every_gateway()
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        var name = TestUsers.UniqueName("keys");
        var (_, firstKey) = await TestUsers.Create(admin, name);
        using var user = factory.ClientWithKey(firstKey);

        using var created = await user.PostAsJsonAsync("/v1/me/keys", new { name = "ci runner" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = await Api.ReadJson(created);
        var (keyId, secret) = (key.GetProperty("id").GetString()!, key.GetProperty("key").GetString()!);
        Assert.Equal("ci runner", key.GetProperty("name").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, key.GetProperty("expiresAt").ValueKind);
        var byAdmin = await Api.ReadJson(await admin.PostAsJsonAsync($"/v1/users/{name}/keys", new { name = "by admin" }));

        // Listing shows ids and names, never a secret or its hash.
        var listed = await Api.GetJson(user, "/v1/me/keys");
        Assert.Equal(3, listed.GetArrayLength());
        Assert.Equal(listed.ToString(), (await Api.GetJson(admin, $"/v1/users/{name}/keys")).ToString());
        Assert.DoesNotContain(secret, listed.ToString());
        Assert.All(listed.EnumerateArray(), k => Assert.False(k.TryGetProperty("key", out _) || k.TryGetProperty("hash", out _)));

        await using var second = factory.SecondGateway();
        using var onFirst = factory.ClientWithKey(secret);
        using var onSecond = second.ClientWithKey(secret);
        Assert.Equal(name, (await Api.GetJson(onFirst, "/v1/me")).GetProperty("name").GetString());
        Assert.Equal(name, (await Api.GetJson(onSecond, "/v1/me")).GetProperty("name").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await user.DeleteAsync($"/v1/me/keys/{keyId}")).StatusCode);

        await Api.AssertProblem(await onSecond.GetAsync("/v1/me"), HttpStatusCode.Unauthorized);
        await Api.AssertProblem(await onFirst.GetAsync("/v1/me"), HttpStatusCode.Unauthorized);
        await Api.GetJson(user, "/v1/me");
        using var viaAdminKey = second.ClientWithKey(byAdmin.GetProperty("key").GetString());
        await Api.GetJson(viaAdminKey, "/v1/me");
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/v1/users/{name}/keys/{byAdmin.GetProperty("id").GetString()}")).StatusCode);
        await Api.AssertProblem(await viaAdminKey.GetAsync("/v1/me"), HttpStatusCode.Unauthorized);
        await Api.AssertProblem(await user.DeleteAsync($"/v1/me/keys/{keyId}"), HttpStatusCode.NotFound);

        await admin.DeleteAsync($"/v1/users/{name}");
    }

    [Fact]
    public async Task A_user_deleted_or_changed_through_one_gateway_is_seen_at_once_by_another_that_has_its_key_cached()
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        var name = TestUsers.UniqueName("revoked");
        var (_, key) = await TestUsers.Create(admin, name);
        await using var second = factory.SecondGateway();
        using var onSecond = second.ClientWithKey(key);
        // Used on the second gateway until it has the key cached, then changed and deleted through the first.
        var cache = second.Services.GetRequiredService<ApiKeyCache>();
        await Eventually.True(async () =>
        {
            Assert.Equal("user", (await Api.GetJson(onSecond, "/v1/me")).GetProperty("role").GetString());
            return cache.TryGet(ApiKeys.Hash(key), out _);
        }, "the second gateway caches the key");

        using var promoted = await admin.PatchAsJsonAsync($"/v1/users/{name}", new { role = "admin" });
        Assert.Equal(HttpStatusCode.OK, promoted.StatusCode);
        Assert.Equal("admin", (await Api.GetJson(onSecond, "/v1/me")).GetProperty("role").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/v1/users/{name}")).StatusCode);
        await Api.AssertProblem(await onSecond.GetAsync("/v1/me"), HttpStatusCode.Unauthorized);
        await Api.AssertProblem(await onSecond.GetAsync("/v1/sessions"), HttpStatusCode.Unauthorized);
        Assert.False(cache.TryGet(ApiKeys.Hash(key), out _));
    }

    [Fact]
    public async Task An_expired_key_is_refused()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        var expiresAt = DateTimeOffset.UtcNow.AddSeconds(2);
        var key = await Api.ReadJson(await alice.PostAsJsonAsync("/v1/me/keys", new { name = "short", expiresAt }));
        using var shortLived = factory.ClientWithKey(key.GetProperty("key").GetString());
        Assert.Equal("alice", (await Api.GetJson(shortLived, "/v1/me")).GetProperty("name").GetString());

        await Task.Delay(expiresAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(200));

        using var refused = await shortLived.GetAsync("/v1/me");
        await Api.AssertProblem(refused, HttpStatusCode.Unauthorized);
        Assert.Contains("expired", await refused.Content.ReadAsStringAsync());
        var listed = await Api.GetJson(alice, "/v1/me/keys");
        Assert.Contains(listed.EnumerateArray(), k => k.GetProperty("id").GetString() == key.GetProperty("id").GetString() && k.GetProperty("expired").GetBoolean());
        await alice.DeleteAsync($"/v1/me/keys/{key.GetProperty("id").GetString()}");
    }

    [Fact]
    public async Task Another_user_cannot_list_create_or_delete_someone_elses_keys()
    {
        using var bob = factory.ClientWithKey(GatewayFactory.BobKey);
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        var bobs = await Api.ReadJson(await bob.PostAsJsonAsync("/v1/me/keys", new { name = "bobs" }));
        var bobsId = bobs.GetProperty("id").GetString()!;

        await Api.AssertProblem(await alice.GetAsync("/v1/users/bob/keys"), HttpStatusCode.Forbidden);
        await Api.AssertProblem(await alice.PostAsJsonAsync("/v1/users/bob/keys", new { name = "mine now" }), HttpStatusCode.Forbidden);
        await Api.AssertProblem(await alice.DeleteAsync($"/v1/users/bob/keys/{bobsId}"), HttpStatusCode.Forbidden);
        await Api.AssertProblem(await alice.DeleteAsync($"/v1/me/keys/{bobsId}"), HttpStatusCode.NotFound);
        Assert.DoesNotContain(bobsId, (await Api.GetJson(alice, "/v1/me/keys")).ToString());

        using var stillBob = factory.ClientWithKey(bobs.GetProperty("key").GetString());
        Assert.Equal("bob", (await Api.GetJson(stillBob, "/v1/me")).GetProperty("name").GetString());
        await bob.DeleteAsync($"/v1/me/keys/{bobsId}");
    }

    [Theory]
    [InlineData("{}", "name")]
    [InlineData("{\"name\": \"\"}", "name")]
    [InlineData("{\"name\": \"a/b\"}", "name")]
    [InlineData("{\"name\": 3}", "name")]
    [InlineData("{\"name\": \"ok\", \"expiresAt\": \"2001-01-01T00:00:00Z\"}", "expiresAt")]
    [InlineData("{\"name\": \"ok\", \"expiresAt\": \"tomorrow\"}", "expiresAt")]
    [InlineData("{\"name\": \"ok\", \"secret\": \"chosen\"}", "secret")]
    [InlineData("[", "body")]
    public async Task Bad_key_requests_are_400_naming_the_field_and_create_nothing(string body, string field)
    {
        using var carol = factory.ClientWithKey(GatewayFactory.CarolKey);
        var before = (await Api.GetJson(carol, "/v1/me/keys")).GetArrayLength();

        await Api.AssertValidationProblem(await Api.PostRaw(carol, "/v1/me/keys", body), field);

        Assert.Equal(before, (await Api.GetJson(carol, "/v1/me/keys")).GetArrayLength());
    }

    [Fact]
    public async Task Keys_of_an_unknown_user_are_404()
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        await Api.AssertProblem(await admin.GetAsync("/v1/users/nobody-at-all/keys"), HttpStatusCode.NotFound);
        await Api.AssertProblem(await admin.PostAsJsonAsync("/v1/users/nobody-at-all/keys", new { name = "x" }), HttpStatusCode.NotFound);
    }
}
