using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace Granary.ClusterProcessTests;

/// <summary>Users and keys live in the cluster: what one gateway creates or deletes, every other gateway knows at
/// its next request (no gateway keeps a copy).</summary>
public sealed class SharedIdentityTests
{
    [Fact]
    public async Task A_user_and_keys_made_through_one_gateway_work_on_the_other_and_a_deleted_key_fails_on_both()
    {
        await using var cluster = await ProcessCluster.Start("identity", managers: 1, agents: 1, gateways: 2);
        using var admin1 = cluster.Gateway(0);
        using var created = await admin1.PostAsJsonAsync("/v1/users", new { name = "carol" });
        var user = await Rest.Json(created);
        Assert.True(created.StatusCode == HttpStatusCode.Created, $"create user: {(int)created.StatusCode} {user}");
        var userId = user.GetProperty("id").GetString();

        using var carol2 = As(cluster, 1, user.GetProperty("key").GetString()!);
        Assert.Equal(userId, (await Rest.Get(carol2, "/v1/me")).GetProperty("id").GetString());

        using var madeOn2 = await carol2.PostAsJsonAsync("/v1/me/keys", new { name = "laptop" });
        var laptop = await Rest.Json(madeOn2);
        Assert.True(madeOn2.StatusCode == HttpStatusCode.Created, $"create key: {(int)madeOn2.StatusCode} {laptop}");
        using var laptop1 = As(cluster, 0, laptop.GetProperty("key").GetString()!);
        Assert.Equal(userId, (await Rest.Get(laptop1, "/v1/me")).GetProperty("id").GetString());

        using (var deleted = await laptop1.DeleteAsync($"/v1/me/keys/{laptop.GetProperty("id").GetString()}"))
        {
            Assert.True(deleted.IsSuccessStatusCode, $"delete key: {(int)deleted.StatusCode}");
        }
        using var laptop2 = As(cluster, 1, laptop.GetProperty("key").GetString()!);
        using (var refused = await laptop2.GetAsync("/v1/me"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        Assert.Equal(userId, (await Rest.Get(carol2, "/v1/me")).GetProperty("id").GetString());
    }

    private static HttpClient As(ProcessCluster cluster, int gateway, string key)
    {
        var client = cluster.Gateway(gateway);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}
