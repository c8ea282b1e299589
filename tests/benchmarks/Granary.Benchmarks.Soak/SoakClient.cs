using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Granary.TestHelpers;

namespace Granary.Benchmarks.Soak;

/// <summary>
/// One user of the soak: until the deadline, each cycle makes and revokes an API key, makes a folder, creates a
/// session mounting it, waits until it runs, types a command into its terminal and reads the echo, asks Jupyter
/// through the app proxy, deletes the session, waits until it has ended and deletes the folder.
/// </summary>
public sealed class SoakClient(LocalGranary granary, RequestLedger ledger, AgentRestarts restarts, string name, string key) : IDisposable
{
    public const string Image = "granary/python:3.11";
    private static readonly TimeSpan StepDeadline = TimeSpan.FromMinutes(5);
    private static readonly string[] Final = ["TERMINATED", "ERROR", "CANCELLED"];

    private readonly HttpClient _http = new(ledger.Handler()) { BaseAddress = granary.BaseUrl, Timeout = TimeSpan.FromMinutes(2) };

    public string Name => name;
    public int Cycles { get; private set; }
    public int Ran { get; private set; }

    /// <summary>Sessions that ended before running because the agent was killed while they started.</summary>
    public int Interrupted { get; private set; }
    public List<string> Problems { get; } = [];

    public void Dispose() => _http.Dispose();

    public async Task Run(DateTime deadline)
    {
        _http.DefaultRequestHeaders.Authorization = new("Bearer", key);
        while (DateTime.UtcNow < deadline)
        {
            var started = DateTime.UtcNow;
            try
            {
                await Cycle(Cycles);
                Console.WriteLine($"soak: {name} cycle {Cycles} done in {(DateTime.UtcNow - started).TotalSeconds:F0} s");
            }
            catch (Exception e)
            {
                // Whatever went wrong is a failure of the soak, reported at the end; the client goes on cycling.
                Problems.Add($"{name} cycle {Cycles}: {e.GetType().Name}: {e.Message}");
                Console.WriteLine($"soak: {name} cycle {Cycles} FAILED after {(DateTime.UtcNow - started).TotalSeconds:F0} s: {e.Message}");
            }
            Cycles++;
        }
    }

    private async Task Cycle(int n)
    {
        var madeKey = await Json(await Call(() => _http.PostAsJsonAsync("/v1/me/keys", new { name = $"soak-{n}" })), HttpStatusCode.Created);
        Expect(await Call(() => _http.DeleteAsync($"/v1/me/keys/{madeKey.GetProperty("id").GetString()}")), HttpStatusCode.NoContent);

        var folder = $"f{n}";
        await Json(await Call(() => _http.PostAsJsonAsync("/v1/folders", new { name = folder })), HttpStatusCode.Created);
        // A create answered 503 may still have made the session: sent again with the same key, it answers that one.
        var session = await Json(await Call(() => _http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/sessions")
        {
            Content = JsonContent.Create(new
            {
                name = $"soak-{n}",
                image = Image,
                resources = new { cpu = 0.25, memory = "384m" },
                mounts = new[] { new { folder } },
            }),
            Headers = { { "Idempotency-Key", $"{name}-{n}" } },
        })), HttpStatusCode.Created);
        var id = session.GetProperty("id").GetString()!;
        var created = DateTime.UtcNow;
        try
        {
            var status = await WaitForStatus(id, s => s is "RUNNING" || Final.Contains(s));
            if (status != "RUNNING" && restarts.AnyBetween(created.AddSeconds(-1), DateTime.UtcNow))
            {
                Interrupted++;
                return;
            }
            if (status != "RUNNING")
            {
                throw new SoakFailedException($"session {id} ended {status} before it ran");
            }
            Ran++;
            await Until(async () => await TerminalEchoes(id), $"the terminal of {id} echoes");
            // The proxy is asked once the agent has seen Jupyter listen (before, a 502 would be the right answer).
            await Until(async () => (await Json(await Call(() => _http.GetAsync($"/v1/sessions/{id}")), HttpStatusCode.OK)).GetProperty("apps")
                .EnumerateArray().Any(a => a.GetProperty("name").GetString() == "jupyter" && a.GetProperty("state").GetString() == "ready"),
                $"Jupyter of {id} is ready");
            using var proxied = await Call(() => _http.GetAsync($"/v1/sessions/{id}/apps/jupyter/api/status"));
            if (proxied.StatusCode != HttpStatusCode.OK)
            {
                throw new SoakFailedException($"Jupyter of {id} through the proxy: {(int)proxied.StatusCode}");
            }
        }
        finally
        {
            using (var deleted = await Call(() => _http.DeleteAsync($"/v1/sessions/{id}")))
            {
                Expect(deleted, HttpStatusCode.Accepted);
            }
            await WaitForStatus(id, Final.Contains);
            await DeleteFolder(folder);
        }
    }

    /// <summary>A delete sent again after a 503 may find that its first attempt, cut off by an agent restart, had
    /// deleted the folder: 404 then counts as deleted (the leak check at the end still looks for the folder).
    /// A 409 (still mounted) is sent again every 2 s until StepDeadline, as a script would: the ended session's
    /// release of its folder is retried until done when the folder's grain was on an agent that just died.</summary>
    private async Task DeleteFolder(string folder)
    {
        var attempts = 0;
        var response = await Call(() =>
        {
            attempts++;
            return _http.DeleteAsync($"/v1/folders/{folder}");
        }, alsoWhile: HttpStatusCode.Conflict);
        Expect(response, attempts > 1 && response.StatusCode == HttpStatusCode.NotFound ? HttpStatusCode.NotFound : HttpStatusCode.NoContent);
    }

    private async Task<string> WaitForStatus(string id, Func<string, bool> accept)
    {
        var until = DateTime.UtcNow + StepDeadline;
        while (true)
        {
            var status = (await Json(await Call(() => _http.GetAsync($"/v1/sessions/{id}")), HttpStatusCode.OK)).GetProperty("status").GetString()!;
            if (accept(status))
            {
                return status;
            }
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"session {id} still {status} after {StepDeadline}");
            }
            await Task.Delay(1000);
        }
    }

    /// <summary>Sends a request again while the answer is 503 (part of the cluster restarting), or alsoWhile, until
    /// StepDeadline: after its Retry-After, else 2 s.</summary>
    private static async Task<HttpResponseMessage> Call(Func<Task<HttpResponseMessage>> send, HttpStatusCode? alsoWhile = null)
    {
        var until = DateTime.UtcNow + StepDeadline;
        while (true)
        {
            var response = await send();
            if ((response.StatusCode != HttpStatusCode.ServiceUnavailable && response.StatusCode != alsoWhile) || DateTime.UtcNow > until)
            {
                return response;
            }
            var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(2);
            response.Dispose();
            await Task.Delay(wait);
        }
    }

    /// <summary>Retries a step that may be refused for a while (an agent restarting, an app starting).</summary>
    private static async Task Until(Func<Task<bool>> step, string what)
    {
        var until = DateTime.UtcNow + StepDeadline;
        while (!await step())
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"not within {StepDeadline}: {what}");
            }
            await Task.Delay(1000);
        }
    }

    /// <summary>Opens the session's terminal, types an echo command and waits for its output; false when the
    /// terminal is refused for now (409: the session's agent is restarting).</summary>
    private async Task<bool> TerminalEchoes(string id)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("Authorization", $"Bearer {key}");
        var url = new UriBuilder(granary.BaseUrl) { Scheme = "ws", Path = $"/v1/sessions/{id}/terminal" }.Uri;
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await socket.ConnectAsync(url, patience.Token);
        }
        catch (WebSocketException e)
        {
            if (socket.HttpStatusCode == 0)
            {
                ledger.Unanswered(HttpMethod.Get, RequestLedger.Route(url), e);
                return false;
            }
            ledger.Answered(HttpMethod.Get, RequestLedger.Route(url), (int)socket.HttpStatusCode);
            return socket.HttpStatusCode is HttpStatusCode.Conflict or HttpStatusCode.ServiceUnavailable ? false : throw new SoakFailedException($"terminal of {id}: {(int)socket.HttpStatusCode}");
        }
        ledger.Answered(HttpMethod.Get, RequestLedger.Route(url), 101);

        var marker = $"soak{Guid.NewGuid():N}"[..16];
        await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(new { type = "input", data = $"echo {marker}-$((6*7))\r" }),
            WebSocketMessageType.Text, true, patience.Token);
        var seen = new StringBuilder();
        var buffer = new byte[8192];
        while (!seen.ToString().Contains($"{marker}-42", StringComparison.Ordinal))
        {
            var received = await socket.ReceiveAsync(buffer, patience.Token);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                // The terminal ended (its agent went away): answer the close, then try again.
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", patience.Token);
                return false;
            }
            seen.Append(Encoding.UTF8.GetString(buffer, 0, received.Count));
        }
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", patience.Token);
        return true;
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response, HttpStatusCode expected)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != expected)
            {
                throw new SoakFailedException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath}: {(int)response.StatusCode} {body}");
            }
            return JsonDocument.Parse(body).RootElement.Clone();
        }
    }

    private static void Expect(HttpResponseMessage response, HttpStatusCode expected)
    {
        using (response)
        {
            if (response.StatusCode != expected)
            {
                throw new SoakFailedException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath}: {(int)response.StatusCode}");
            }
        }
    }
}

/// <summary>A step of a cycle that did not go as it must.</summary>
public sealed class SoakFailedException(string message) : Exception(message);
