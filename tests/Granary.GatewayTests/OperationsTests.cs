using System.Net;

namespace Granary.GatewayTests;

[Collection(GatewayCollection.Name)]
public sealed class OperationsTests(GatewayFactory factory)
{
    [Fact]
    public async Task Healthz_answers_without_a_key()
    {
        using var client = factory.ClientWithKey(null);
        var health = await Api.GetJson(client, "/healthz");
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal("all-in-one", health.GetProperty("mode").GetString());
    }

    [Fact]
    public async Task OpenApi_document_lists_the_session_paths_without_a_key()
    {
        using var client = factory.ClientWithKey(null);
        var document = await Api.GetJson(client, "/openapi/v1.json");
        var paths = document.GetProperty("paths");

        foreach (var path in new[] { "/v1/sessions", "/v1/sessions/{id}", "/v1/sessions/{id}/events", "/v1/sessions/{id}/logs", "/v1/agents", "/healthz" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is missing from the OpenAPI document");
        }

        Assert.True(paths.GetProperty("/v1/sessions").TryGetProperty("post", out var post));
        Assert.True(post.TryGetProperty("requestBody", out _), "POST /v1/sessions has no request body schema");
        Assert.True(document.GetProperty("components").GetProperty("securitySchemes").TryGetProperty("ApiKey", out _));
    }

    [Fact]
    public async Task Unknown_route_is_404_problem()
    {
        using var client = factory.ClientWithKey(GatewayFactory.AliceKey);
        using var response = await client.GetAsync("/v1/nothing-here");
        await Api.AssertProblem(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Info_tells_users_that_sessions_are_simulated()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        var info = await Api.GetJson(alice, "/v1/info");
        Assert.True(info.GetProperty("simulated").GetBoolean());
        Assert.Equal(1, info.GetProperty("agents").GetInt32());
        Assert.Equal(["simulated"], info.GetProperty("runtimes").EnumerateArray().Select(r => r.GetString()));
    }

    [Theory]
    [InlineData("/", "text/html", "<title>Granary</title>")]
    [InlineData("/js/api.js", "text/javascript", "/v1/sessions")]
    [InlineData("/js/pages/sessions.js", "text/javascript", "/v1/sessions/watch")]
    [InlineData("/style.css", "text/css", "body")]
    public async Task Web_ui_is_served_without_a_key(string path, string mediaType, string content)
    {
        using var client = factory.ClientWithKey(null);
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(content, await response.Content.ReadAsStringAsync());
    }
}
