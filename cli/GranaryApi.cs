using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;

namespace Granary.Cli;

/// <summary>The REST API v1 as the CLI uses it; an error answer becomes a CliException with its exit code and the
/// problem's detail (and field errors).</summary>
public sealed class GranaryApi : IDisposable
{
    private readonly HttpClient _http;

    public GranaryApi(CliConfig config, HttpMessageHandler? handler)
    {
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.BaseAddress = new Uri(config.Url.TrimEnd('/') + "/");
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", config.Key);
        _http.Timeout = Timeout.InfiniteTimeSpan;
    }

    public Task<JsonElement> Get(string path, CancellationToken cancellationToken) => Send(HttpMethod.Get, path, null, cancellationToken);

    public Task<JsonElement> Post(string path, object body, CancellationToken cancellationToken) => Send(HttpMethod.Post, path, body, cancellationToken);

    public Task<JsonElement> Delete(string path, CancellationToken cancellationToken) => Send(HttpMethod.Delete, path, null, cancellationToken);

    /// <summary>How long a create waits out 503s: a manager's takeover takes some 10-15 s.</summary>
    private static readonly TimeSpan CreatePatience = TimeSpan.FromMinutes(1);

    /// <summary>A create (POST) with an Idempotency-Key of its own, sent again with that key while the cluster answers
    /// 503 (a manager restarting), as Retry-After says, for up to a minute: a create whose answer was lost after the
    /// session was stored then names that session instead of making a second.</summary>
    public async Task<JsonElement> Create(string path, object body, CancellationToken cancellationToken)
    {
        var key = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        using var response = await Call(() => new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = JsonContent.Create(body),
            Headers = { { "Idempotency-Key", key } },
        }, CreatePatience, HttpCompletionOption.ResponseContentRead, cancellationToken);
        return await Json(response, cancellationToken);
    }

    public async Task<string> GetText(string path, CancellationToken cancellationToken)
    {
        using var response = await Call(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    /// <summary>The session's events (status changes and app readiness) from the start, until the stream ends.</summary>
    public async IAsyncEnumerable<(string Type, JsonElement Data)> Events(string sessionId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/sessions/{Uri.EscapeDataString(sessionId)}/events");
        using var response = await Call(request, cancellationToken, HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(cancellationToken))
        {
            yield return (item.EventType, JsonDocument.Parse(item.Data).RootElement.Clone());
        }
    }

    private async Task<JsonElement> Send(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await Call(request, cancellationToken);
        return await Json(response, cancellationToken);
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    private Task<HttpResponseMessage> Call(HttpRequestMessage request, CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead) =>
        Call(() => request, TimeSpan.Zero, completion, cancellationToken);

    /// <summary>Sends the request the factory makes; while the answer is 503 and the patience lasts, waits as
    /// Retry-After says (a second if it says nothing) and sends a new one.</summary>
    private async Task<HttpResponseMessage> Call(Func<HttpRequestMessage> request, TimeSpan patience, HttpCompletionOption completion,
        CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + patience;
        while (true)
        {
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request(), completion, cancellationToken);
            }
            catch (HttpRequestException exception)
            {
                throw new CliException(ExitCodes.Server, $"Cannot reach {_http.BaseAddress}: {exception.Message}");
            }
            if (response.IsSuccessStatusCode)
            {
                return response;
            }
            using (response)
            {
                var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable && DateTime.UtcNow + wait < until)
                {
                    await Task.Delay(wait, cancellationToken);
                    continue;
                }
                var message = await ProblemMessage(response, cancellationToken);
                throw new CliException(ExitCodeOf(response.StatusCode), message);
            }
        }
    }

    public static int ExitCodeOf(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => ExitCodes.Auth,
        HttpStatusCode.NotFound => ExitCodes.NotFound,
        >= HttpStatusCode.InternalServerError => ExitCodes.Server,
        _ => ExitCodes.Usage,
    };

    private static async Task<string> ProblemMessage(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        var status = $"{(int)response.StatusCode} {response.ReasonPhrase}";
        try
        {
            var problem = JsonDocument.Parse(text).RootElement;
            var parts = new List<string> { problem.TryGetProperty("detail", out var detail) ? detail.GetString() ?? status : problem.GetProperty("title").GetString() ?? status };
            if (problem.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
            {
                parts.AddRange(errors.EnumerateObject().Select(e => $"{e.Name}: {string.Join(" ", e.Value.EnumerateArray().Select(m => m.GetString()))}"));
            }
            return $"{status}: {string.Join("\n  ", parts)}";
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return text.Length == 0 ? status : $"{status}: {text}";
        }
    }

    public void Dispose() => _http.Dispose();
}
