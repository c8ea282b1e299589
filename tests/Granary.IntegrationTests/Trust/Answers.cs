using System.Net;
using System.Text.Json;

namespace Granary.IntegrationTests.Trust;

/// <summary>The trust tests' one way to read an answer: asserts its status (naming the request and the body when it
/// differs) and returns its JSON body.</summary>
internal static class Answers
{
    public static async Task<JsonElement> Expect(Task<HttpResponseMessage> request, HttpStatusCode expected, bool json = true)
    {
        using var response = await request;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {body}");
        return json ? JsonDocument.Parse(body).RootElement.Clone() : default;
    }
}
