using System.Net;
using System.Net.Http.Json;

namespace Granary.GatewayTests;

/// <summary>Users created through the API for a test: unique names, so tests never meet each other's.</summary>
public static class TestUsers
{
    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Creates the user (extra fields: policy, resourceGroups, maxPriority) and returns its id and key.</summary>
    public static async Task<(string Id, string Key)> Create(HttpClient admin, string name, object? body = null)
    {
        using var response = await admin.PostAsJsonAsync("/v1/users", body ?? new { name });
        var json = await Api.ReadJson(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"create user {name}: {(int)response.StatusCode} {json}");
        return (json.GetProperty("id").GetString()!, json.GetProperty("key").GetString()!);
    }

    public static async Task<HttpStatusCode> StatusOf(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        return response.StatusCode;
    }
}
