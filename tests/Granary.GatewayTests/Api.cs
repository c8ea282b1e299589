using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Granary.Sessions;
using Microsoft.Extensions.DependencyInjection;

namespace Granary.GatewayTests;

/// <summary>Small helpers over the REST API for the tests.</summary>
public static class Api
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public static object SmallSession(string? name = null, object? resources = null) => new
    {
        name,
        image = "python:3.11",
        resources = resources ?? new { cpu = 1, memory = "1g" },
    };

    public static async Task<JsonElement> CreateSession(HttpClient client, object body)
    {
        using var response = await client.PostAsJsonAsync("/v1/sessions", body);
        var json = await ReadJson(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"create: {(int)response.StatusCode} {json}");
        return json;
    }

    /// <summary>A running session of an image serving jupyter, and the host port the simulated agent gave it.</summary>
    public static async Task<(string Id, int Port)> RunningSessionWithJupyter(GatewayFactory factory, HttpClient client)
    {
        var id = (await CreateSession(client, SmallSession("proxy"))).GetProperty("id").GetString()!;
        await WaitForStatus(client, id, "RUNNING");
        var view = await factory.Services.GetRequiredService<IGrainFactory>().GetGrain<ISessionGrain>(id).Get();
        return (id, view!.Apps.Single(a => a.Name == "jupyter").Port);
    }

    public static async Task<HttpResponseMessage> PostRaw(HttpClient client, string path, string body)
        => await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

    /// <summary>A GET that must answer 200. A 429 is waited out as its Retry-After says, as a client of the API
    /// would: tests that read right after a burst of requests meet the per-key rate limit (RateLimitTests tests it).</summary>
    public static async Task<JsonElement> GetJson(HttpClient client, string path)
    {
        using var patience = new CancellationTokenSource(Patience);
        var response = await client.GetAsync(path);
        while (response.StatusCode == HttpStatusCode.TooManyRequests && !patience.IsCancellationRequested)
        {
            var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
            response.Dispose();
            await Task.Delay(wait);
            response = await client.GetAsync(path);
        }
        using var answered = response;
        var json = await ReadJson(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {json}");
        return json;
    }

    public static async Task<JsonElement> ReadJson(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Polls the session until it reaches one of the statuses; fails if it ends elsewhere or never gets there.</summary>
    public static async Task<JsonElement> WaitForStatus(HttpClient client, string id, string status)
    {
        using var patience = new CancellationTokenSource(Patience);
        var seen = new List<string>();
        while (true)
        {
            var session = await GetJson(client, $"/v1/sessions/{id}");
            var current = session.GetProperty("status").GetString()!;
            if (seen.Count == 0 || seen[^1] != current)
            {
                seen.Add(current);
            }

            if (current == status)
            {
                return session;
            }

            Assert.False(current is "TERMINATED" or "ERROR" or "CANCELLED",
                $"session {id} ended as {current} ({session.GetProperty("statusReason")}) while waiting for {status}; seen {string.Join(" → ", seen)}");
            Assert.False(patience.IsCancellationRequested, $"session {id} never reached {status}; seen {string.Join(" → ", seen)}");
            await Task.Delay(50);
        }
    }

    /// <summary>Waits until that many agents answer (a node registers shortly after its silo starts).</summary>
    public static async Task WaitForAgents(HttpClient client, int count)
    {
        using var patience = new CancellationTokenSource(Patience);
        while ((await GetJson(client, "/v1/info")).GetProperty("agents").GetInt32() < count)
        {
            Assert.False(patience.IsCancellationRequested, $"fewer than {count} agents registered");
            await Task.Delay(50);
        }
    }

    public static async Task<string[]> ListIds(HttpClient client, string query = "")
    {
        var list = await GetJson(client, "/v1/sessions" + query);
        return [.. list.EnumerateArray().Select(s => s.GetProperty("id").GetString()!)];
    }

    public static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal((int)status, json.GetProperty("status").GetInt32());
    }

    /// <summary>A 400 validation problem whose errors name the field.</summary>
    public static async Task<JsonElement> AssertValidationProblem(HttpResponseMessage response, string field)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"expected 400, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonDocument.Parse(body).RootElement;
        Assert.True(json.TryGetProperty("errors", out var errors), $"no errors map: {body}");
        Assert.True(errors.TryGetProperty(field, out var messages), $"no error for {field}: {body}");
        Assert.NotEqual(0, messages.GetArrayLength());
        return json;
    }
}
