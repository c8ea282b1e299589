using System.Diagnostics;
using System.Net;
using System.Text.Json;
using CsCheck;
using Granary.Agents.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Granary.GatewayTests.Fuzz;

/// <summary>
/// A seeded fuzz of the REST API on a gateway of its own: requests generated from the OpenAPI document's shapes
/// plus hostile mutations, sent one at a time. No answer is a 5xx; every 4xx is problem+json; a rejected request
/// changes nothing (the users' sessions, alice's folders and the agents' allocations are compared before and after
/// each one); at the end, after deleting what was created, all capacity is free again.
/// GRANARY_FUZZ_REQUESTS sets the count (default 2,000), GRANARY_FUZZ_SEED the seed (printed, and in every failure).
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class RequestFuzzTests(ITestOutputHelper output)
{
    private static readonly string[] Terminal = ["TERMINATED", "ERROR", "CANCELLED"];

    [Fact]
    public async Task Generated_and_hostile_requests_never_fail_the_server_nor_change_state_when_rejected()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("GRANARY_FUZZ_REQUESTS"), out var n) ? n : 2_000;
        var seed = ulong.TryParse(Environment.GetEnvironmentVariable("GRANARY_FUZZ_SEED"), out var s) ? s : (ulong)Random.Shared.NextInt64();
        output.WriteLine($"fuzz: {count} requests, GRANARY_FUZZ_SEED={seed}");

        // The fuzzer's own state checks read between requests: no rate limit may refuse those reads.
        await using var factory = GatewayFactory.WithSettings(new Dictionary<string, string?>
        {
            ["Granary:RateLimit:PermitsPerSecond"] = "1000000",
            ["Granary:RateLimit:Burst"] = "1000000",
        });
        var clients = new Dictionary<string, HttpClient>
        {
            ["alice"] = factory.ClientWithKey(GatewayFactory.AliceKey),
            ["bob"] = factory.ClientWithKey(GatewayFactory.BobKey),
            ["admin"] = factory.ClientWithKey(GatewayFactory.AdminKey),
        };
        var raw = factory.ClientWithKey(null);
        try
        {
            await Api.WaitForAgents(clients["admin"], 1);
            var shapes = new FuzzShapes(await Api.GetJson(raw, "/openapi/v1.json"));
            Assert.Contains(shapes.Operations, o => o.Method == "POST" && o.Path == "/v1/sessions" && o.BodySchema is not null);
            var fuzz = new Fuzzer(clients, raw, $"GRANARY_FUZZ_SEED={seed}");

            var requests = shapes.Request();
            var pcg = new PCG(1, seed);
            var clock = Stopwatch.StartNew();
            var last = await fuzz.Snapshot();
            for (var i = 0; i < count; i++)
            {
                var request = requests.Generate(pcg, null, out _);
                last = await fuzz.Send(i, request, last);
            }

            await fuzz.DeleteEverything();
            await fuzz.AssertAllCapacityFree();
            var containers = await factory.Services.GetRequiredService<IContainerRuntime>().List(new Dictionary<string, string>(), CancellationToken.None);
            Assert.True(containers.Count == 0, $"GRANARY_FUZZ_SEED={seed}: leaked containers: {string.Join(", ", containers.Select(c => c.Id))}");
            output.WriteLine($"fuzz: {count} requests in {clock.Elapsed.TotalSeconds:F1} s; {fuzz.Summary()}");
        }
        finally
        {
            foreach (var client in clients.Values.Append(raw))
            {
                client.Dispose();
            }
        }
    }

    private sealed class Fuzzer(Dictionary<string, HttpClient> clients, HttpClient raw, string seed)
    {
        private readonly List<(string Id, string Owner)> _sessions = [];
        private readonly HashSet<string> _ended = [];
        private readonly HashSet<string> _folders = [];
        private readonly Dictionary<int, int> _statuses = [];

        public string Summary() => string.Join(", ", _statuses.OrderBy(p => p.Key).Select(p => $"{p.Key}×{p.Value}"))
                                   + $"; {_sessions.Count} sessions and {_folders.Count} folders created";

        /// <summary>Sends the request, checks the answer, and returns the state to compare the next rejection with.</summary>
        public async Task<string> Send(int index, FuzzRequest request, string before)
        {
            using var message = Message(request);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            HttpResponseMessage answer;
            try
            {
                answer = await Client(request.Caller).SendAsync(message, HttpCompletionOption.ResponseContentRead, timeout.Token);
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"{seed}, request #{index}: {request} threw", e);
            }

            using var response = answer;
            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync();
            var context = $"{seed}, request #{index}: {request}\n→ {status} {response.Content.Headers.ContentType} {Clip(body)}";
            _statuses[status] = _statuses.GetValueOrDefault(status) + 1;

            Assert.True(status < 500, "server error: " + context);
            if (status >= 400)
            {
                Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", "4xx without problem+json: " + context);
                Assert.Equal(status, JsonDocument.Parse(body).RootElement.GetProperty("status").GetInt32());
                if (request.Mutates)
                {
                    var after = await Snapshot();
                    Assert.True(before == after, $"rejected request changed state: {context}\nbefore: {before}\nafter: {after}");
                }

                return before;
            }

            if (!request.Mutates)
            {
                return before;
            }

            await Settle(request, response, body);
            return await Snapshot();
        }

        /// <summary>Waits until an accepted mutation is over, so the next rejection's comparison sees only its own effect.</summary>
        private async Task Settle(FuzzRequest request, HttpResponseMessage response, string body)
        {
            var path = request.PathTemplate;
            if (request.Method == "POST" && path == "/v1/sessions" && response.StatusCode == HttpStatusCode.Created)
            {
                var id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
                _sessions.Add((id, request.Caller));
                // A session that does not start soon (it does not fit) is cancelled: nothing may change behind our back.
                if (await WaitFor(request.Caller, id, ["RUNNING", .. Terminal], TimeSpan.FromSeconds(5)) != "RUNNING")
                {
                    await End(request.Caller, id);
                }

                // Keep a few live sessions, so most creates fit.
                foreach (var old in _sessions.Where(x => !_ended.Contains(x.Id)).SkipLast(3).ToArray())
                {
                    await End(old.Owner, old.Id);
                }
            }
            else if (request.Method == "POST" && path == "/v1/folders" && response.StatusCode == HttpStatusCode.Created)
            {
                _folders.Add(JsonDocument.Parse(body).RootElement.GetProperty("name").GetString()!);
            }
            else if (request.Method == "DELETE" && path == "/v1/sessions/{id}")
            {
                var id = Uri.UnescapeDataString(response.RequestMessage!.RequestUri!.AbsolutePath.Split('/')[^1]);
                foreach (var session in _sessions.Where(x => x.Id == id))
                {
                    var status = await WaitFor(session.Owner, id, Terminal, Api.Patience);
                    Assert.True(Terminal.Contains(status), $"{seed}: deleted session {id} never ended");
                    _ended.Add(id);
                }
            }
        }

        private async Task End(string owner, string id)
        {
            if (!_ended.Add(id))
            {
                return;
            }

            using var response = await clients[owner].DeleteAsync($"/v1/sessions/{id}");
            Assert.True(response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.NotFound, $"{seed}: delete {id}: {(int)response.StatusCode}");
            var status = await WaitFor(owner, id, Terminal, Api.Patience);
            Assert.True(Terminal.Contains(status), $"{seed}: session {id} never ended");
        }

        private async Task<string> WaitFor(string owner, string id, string[] statuses, TimeSpan patience)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                using var response = await clients[owner].GetAsync($"/v1/sessions/{id}");
                if (response.StatusCode == HttpStatusCode.NotFound)
                {
                    return "TERMINATED";
                }

                var status = (await Api.ReadJson(response)).GetProperty("status").GetString()!;
                if (statuses.Contains(status) || clock.Elapsed > patience)
                {
                    return status;
                }

                await Task.Delay(50);
            }
        }

        /// <summary>The users' sessions (id and status), alice's folders and every agent's allocations, as one text.</summary>
        public async Task<string> Snapshot()
        {
            var parts = new List<string>();
            foreach (var who in new[] { "alice", "bob", "admin" })
            {
                var sessions = await Api.GetJson(clients[who], "/v1/sessions");
                parts.Add(who + ": " + string.Join(",", sessions.EnumerateArray()
                    .Select(x => x.GetProperty("id").GetString() + "=" + x.GetProperty("status").GetString()).Order(StringComparer.Ordinal)));
            }

            var folders = await Api.GetJson(clients["alice"], "/v1/folders");
            parts.Add("folders: " + string.Join(",", folders.EnumerateArray().Select(f => f.GetProperty("name").GetString())));
            foreach (var agent in (await Api.GetJson(clients["admin"], "/v1/agents")).EnumerateArray())
            {
                parts.Add($"{agent.GetProperty("id")}: {agent.GetProperty("allocated")} {agent.GetProperty("allocations")}");
            }

            return string.Join("\n", parts);
        }

        public async Task DeleteEverything()
        {
            foreach (var (id, owner) in _sessions)
            {
                await End(owner, id);
            }

            foreach (var folder in _folders)
            {
                using var response = await clients["alice"].DeleteAsync($"/v1/folders/{Uri.EscapeDataString(folder)}");
                Assert.True(response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.NotFound, $"{seed}: delete folder {folder}: {(int)response.StatusCode}");
            }
        }

        public async Task AssertAllCapacityFree()
        {
            foreach (var agent in (await Api.GetJson(clients["admin"], "/v1/agents")).EnumerateArray())
            {
                Assert.True(agent.GetProperty("allocations").GetArrayLength() == 0, $"{seed}: leaked allocations on {agent.GetProperty("id")}: {agent.GetProperty("allocations")}");
                var allocated = agent.GetProperty("allocated");
                Assert.True(allocated.GetProperty("cpu").GetDecimal() == 0 && allocated.GetProperty("memory").GetInt64() == 0 && allocated.GetProperty("gpu").GetDecimal() == 0,
                    $"{seed}: capacity still allocated on {agent.GetProperty("id")}: {allocated}");
            }
        }

        private HttpClient Client(string caller) => clients.GetValueOrDefault(caller) ?? raw;

        private HttpRequestMessage Message(FuzzRequest request)
        {
            var path = request.PathTemplate;
            var values = new Queue<string>(request.PathValues);
            foreach (var segment in request.PathTemplate.Split('/').Where(x => x.StartsWith('{')))
            {
                path = path.Replace(segment, Escape(Resolve(segment, values.Dequeue())));
            }

            var message = new HttpRequestMessage(new HttpMethod(request.Method), path);
            if (request.Body is { } bytes)
            {
                message.Content = new ByteArrayContent(bytes);
                if (request.ContentType is { } type)
                {
                    message.Content.Headers.TryAddWithoutValidation("Content-Type", type);
                }
            }

            if (!clients.ContainsKey(request.Caller) && request.Caller != "none")
            {
                message.Headers.TryAddWithoutValidation("Authorization", request.Caller.StartsWith("Bearer", StringComparison.Ordinal) || request.Caller.StartsWith("Basic", StringComparison.Ordinal)
                    ? request.Caller : "Bearer " + request.Caller);
            }

            foreach (var (name, value) in request.Headers)
            {
                message.Headers.TryAddWithoutValidation(name, value);
            }

            return message;
        }

        /// <summary>A known-thing placeholder becomes one of the sessions or folders created so far (or a fresh name).</summary>
        private string Resolve(string parameter, string value)
        {
            if (!value.StartsWith(FuzzRequest.Known, StringComparison.Ordinal))
            {
                return value;
            }

            var k = int.Parse(value[FuzzRequest.Known.Length..]);
            string[] known = parameter == "{id}" ? [.. _sessions.Select(x => x.Id)] : parameter == "{name}" ? [.. _folders] : ["jupyter", "terminal", "ssh"];
            return known.Length == 0 ? "missing-" + k : known[k % known.Length];
        }

        // Most values are escaped like a client would; some go raw, so traversal and encoded separators reach routing.
        private static string Escape(string value) => value.Contains('%') || value.Contains("..") ? value.Replace("\r", "%0d").Replace("\n", "%0a").Replace(" ", "%20") : Uri.EscapeDataString(value);

        private static string Clip(string text) => text.Length > 500 ? text[..500] + "…" : text;
    }
}
