using System.Net;
using System.Net.ServerSentEvents;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using CsCheck;
using Xunit.Abstractions;

namespace Granary.GatewayTests.Fuzz;

/// <summary>
/// A seeded fuzz of the streaming endpoints, from an attacker's side, on a Kestrel gateway of its own (real
/// WebSocket frames): session events with hostile Last-Event-ID headers and ids, the session watch with hostile
/// queries, and terminals opened on any id with any key and then sent oversized, fragmented, malformed and
/// non-UTF-8 frames. No answer is a 5xx, no WebSocket closes with an internal error, nothing is logged as an error,
/// and a stream or terminal opens only for the session's owner (or an admin): bob never sees alice's sessions, nor
/// she his. GRANARY_FUZZ_STREAM_REQUESTS sets the count (default 300), GRANARY_FUZZ_SEED the seed.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class StreamFuzzTests(ITestOutputHelper output)
{
    private static readonly string[] LastEventIds =
    [
        "", "0", "1", "2", "-1", "+1", " 1", "1 ", "1.5", "1e3", "0x10", "abc", "NaN", "١٢", "99999999999999999999999",
        "9223372036854775807", "-9223372036854775808", new string('9', 20_000), "%00", "\t", "\u00e9t\u00e9",
    ];

    private static readonly string[] HostileIds =
    [
        "00000000000000000000000000000000", "..%2F..%2Fetc%2Fpasswd", "%2e%2e", "a%00b", "%FF%FE", new string('a', 4_000),
        "%E2%80%AE", "*", "watch", "%20", "..", "session'--",
    ];

    private static readonly string[] WatchQueries = ["", "?all=true", "?all=false", "?all=maybe", "?all=", "?all=true&all=false", "?status=%00"];

    [Fact]
    public async Task Hostile_stream_and_terminal_requests_get_no_5xx_and_reach_only_the_callers_sessions()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("GRANARY_FUZZ_STREAM_REQUESTS"), out var n) ? n : 300;
        var seed = ulong.TryParse(Environment.GetEnvironmentVariable("GRANARY_FUZZ_SEED"), out var s) ? s : (ulong)Random.Shared.NextInt64();
        output.WriteLine($"stream fuzz: {count} requests, GRANARY_FUZZ_SEED={seed}");

        await using var factory = GatewayFactory.OnKestrel(new Dictionary<string, string?>
        {
            ["Granary:RateLimit:PermitsPerSecond"] = "1000000",
            ["Granary:RateLimit:Burst"] = "1000000",
        });
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        using var bob = factory.ClientWithKey(GatewayFactory.BobKey);
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        await Api.WaitForAgents(admin, 1);
        var running = (await Api.CreateSession(alice, Api.SmallSession("fuzz-running"))).GetProperty("id").GetString()!;
        var ended = (await Api.CreateSession(alice, Api.SmallSession("fuzz-ended"))).GetProperty("id").GetString()!;
        var bobs = (await Api.CreateSession(bob, Api.SmallSession("fuzz-bob"))).GetProperty("id").GetString()!;
        await Api.WaitForStatus(alice, running, "RUNNING");
        await Api.WaitForStatus(bob, bobs, "RUNNING");
        await Api.WaitForStatus(alice, ended, "RUNNING");
        await alice.DeleteAsync($"/v1/sessions/{ended}");
        await Api.WaitForStatus(alice, ended, "TERMINATED");

        var owners = new Dictionary<string, string> { [running] = "alice", [ended] = "alice", [bobs] = "bob" };
        var keys = new (string Who, string? Key)[]
        {
            ("alice", GatewayFactory.AliceKey), ("bob", GatewayFactory.BobKey), ("admin", GatewayFactory.AdminKey),
            ("nobody", null), ("nobody", "not-a-key"), ("nobody", GatewayFactory.AliceKey + "x"),
        };
        using var probe = new Probe(new Uri(alice.BaseAddress!, "/"), owners, $"GRANARY_FUZZ_SEED={seed}");

        var requests = Gen.Select(
            Gen.Int[0, 2],
            Gen.OneOf<string>([.. owners.Keys, .. owners.Keys, .. owners.Keys, .. owners.Keys, .. HostileIds]),
            Gen.OneOf<(string Who, string? Key)>(keys),
            Gen.OneOf<string?>([null, .. LastEventIds]),
            Gen.OneOf<string>(WatchQueries),
            Gen.OneOf<HostileFrames>(Enum.GetValues<HostileFrames>()));
        var pcg = new PCG(1, seed);
        var statuses = new Dictionary<string, int>();
        for (var i = 0; i < count; i++)
        {
            var (kind, id, key, lastEventId, query, frames) = requests.Generate(pcg, null, out _);
            var outcome = kind switch
            {
                0 => await probe.Events(id, key, lastEventId),
                1 => await probe.Watch(query, key, lastEventId),
                _ => await probe.Terminal(id, key, frames),
            };
            statuses[outcome] = statuses.GetValueOrDefault(outcome) + 1;
        }

        // Still serving: alice's terminal echoes, and nothing was logged as an error along the way.
        Assert.Equal("alice", (await probe.Terminal(running, ("alice", GatewayFactory.AliceKey), HostileFrames.None)).Split(' ')[0]);
        Assert.True(factory.Errors.Messages.Count == 0, $"errors logged ({probe.Seed}):\n{string.Join('\n', factory.Errors.Messages.Take(5))}");
        output.WriteLine("stream fuzz: " + string.Join(", ", statuses.OrderBy(p => p.Key).Select(p => $"{p.Key}×{p.Value}")));
        await alice.DeleteAsync($"/v1/sessions/{running}");
        await bob.DeleteAsync($"/v1/sessions/{bobs}");
    }

    public enum HostileFrames
    {
        None,
        OversizedBinary,
        OversizedText,
        InvalidUtf8Text,
        InvalidUtf8Binary,
        NotJson,
        WrongTypes,
        HugeResize,
        ManyFragments,
        UnknownControl,
        AbruptDisconnect,
    }

    private sealed class Probe(Uri gateway, Dictionary<string, string> owners, string seed) : IDisposable
    {
        public string Seed => seed;

        /// <summary>May whoever holds the key see the session? Owners and admins only, and only sessions that exist.</summary>
        private bool Allowed(string id, string who) => owners.TryGetValue(id, out var owner) && (who == owner || who == "admin");

        /// <summary>Sends header values as raw UTF-8 (non-ASCII Last-Event-IDs reach the server as sent).</summary>
        private readonly HttpClient _http = new(new SocketsHttpHandler { RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8 }) { BaseAddress = gateway };

        public void Dispose() => _http.Dispose();

        public async Task<string> Events(string id, (string Who, string? Key) key, string? lastEventId)
        {
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var what = $"events of {Describe(id)} as {key.Who}, Last-Event-ID {Describe(lastEventId)} ({seed})";
            using var response = await Open($"/v1/sessions/{id}/events", key.Key, lastEventId, what, patience.Token);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Assert.False(Allowed(id, key.Who) && key.Key is not null && lastEventId is null or "", $"{(int)response.StatusCode} for {what}");
                return $"events:{(int)response.StatusCode}";
            }

            Assert.True(Allowed(id, key.Who), $"200 for {what}");
            // A running session's stream stays open: read what comes for a moment; an ended one's stream ends.
            using var moment = CancellationTokenSource.CreateLinkedTokenSource(patience.Token);
            moment.CancelAfter(TimeSpan.FromMilliseconds(300));
            try
            {
                await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync(moment.Token)).EnumerateAsync(moment.Token))
                {
                    var sequence = JsonDocument.Parse(item.Data).RootElement.GetProperty("sequence").GetInt64();
                    Assert.True(long.TryParse(lastEventId, out var after) is false || sequence > after, $"event {sequence} repeated for {what}");
                }
            }
            catch (OperationCanceledException) when (moment.IsCancellationRequested && !patience.IsCancellationRequested)
            {
                // The moment is over; the stream was still open.
            }
            return "events:200";
        }

        public async Task<string> Watch(string query, (string Who, string? Key) key, string? lastEventId)
        {
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var what = $"watch{query} as {key.Who}, Last-Event-ID {Describe(lastEventId)} ({seed})";
            using var response = await Open($"/v1/sessions/watch{query}", key.Key, lastEventId, what, patience.Token);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return $"watch:{(int)response.StatusCode}";
            }

            Assert.NotEqual("nobody", key.Who);
            await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync(patience.Token)).EnumerateAsync(patience.Token))
            {
                if (item.EventType == "synced")
                {
                    break;
                }
                var session = JsonDocument.Parse(item.Data).RootElement;
                var owner = session.GetProperty("owner").GetString();
                Assert.True(key.Who == "admin" || owner == key.Who, $"{key.Who} saw {owner}'s session {session.GetProperty("id")} in {what}");
            }
            return "watch:200";
        }

        /// <summary>Opens a terminal; when it opens, sends the hostile frames and then a line it expects echoed.
        /// Returns the caller's name and the outcome.</summary>
        public async Task<string> Terminal(string id, (string Who, string? Key) key, HostileFrames frames)
        {
            using var socket = new ClientWebSocket();
            socket.Options.CollectHttpResponseDetails = true;
            if (key.Key is not null)
            {
                socket.Options.SetRequestHeader("Authorization", $"Bearer {key.Key}");
            }
            var url = new UriBuilder(gateway) { Scheme = "ws", Path = $"/v1/sessions/{id}/terminal" }.Uri;
            var what = $"terminal of {Describe(id)} as {key.Who} with {frames} ({seed})";
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await socket.ConnectAsync(url, patience.Token);
            }
            catch (WebSocketException)
            {
                Assert.True((int)socket.HttpStatusCode is >= 400 and < 500, $"{(int)socket.HttpStatusCode} for {what}");
                Assert.False(Allowed(id, key.Who) && id != owners.Keys.ElementAt(1) && key.Key is not null, $"{(int)socket.HttpStatusCode} for {what}");
                return $"{key.Who} terminal:{(int)socket.HttpStatusCode}";
            }

            Assert.True(Allowed(id, key.Who), $"opened {what}");
            var closed = await Send(socket, frames, patience.Token);
            if (closed is { } status)
            {
                Assert.True(status is WebSocketCloseStatus.MessageTooBig or WebSocketCloseStatus.InvalidPayloadData
                    or WebSocketCloseStatus.ProtocolError or WebSocketCloseStatus.NormalClosure, $"closed with {status} for {what}");
                return $"{key.Who} terminal:closed-{status}";
            }

            var marker = $"m{Guid.NewGuid():N}"[..12];
            await socket.SendAsync(Encoding.UTF8.GetBytes($"{{\"type\":\"input\",\"data\":\"{marker}\"}}"), WebSocketMessageType.Text, true, patience.Token);
            var seen = new StringBuilder();
            var buffer = new byte[8192];
            while (!seen.ToString().Contains(marker, StringComparison.Ordinal))
            {
                var received = await socket.ReceiveAsync(buffer, patience.Token);
                Assert.True(received.MessageType != WebSocketMessageType.Close, $"closed ({socket.CloseStatus}) after {what}");
                seen.Append(Encoding.UTF8.GetString(buffer, 0, received.Count));
            }
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", patience.Token);
            return $"{key.Who} terminal:echoed";
        }

        /// <summary>Sends the frames; returns the close status if the gateway closed the socket because of them.</summary>
        private static async Task<WebSocketCloseStatus?> Send(ClientWebSocket socket, HostileFrames frames, CancellationToken cancellationToken)
        {
            async Task Frame(byte[] bytes, WebSocketMessageType type, bool end = true) => await socket.SendAsync(bytes, type, end, cancellationToken);
            switch (frames)
            {
                case HostileFrames.None:
                    return null;
                case HostileFrames.OversizedBinary:
                    await Frame(new byte[(1024 * 1024) + 1], WebSocketMessageType.Binary);
                    break;
                case HostileFrames.OversizedText:
                    await Frame(Encoding.UTF8.GetBytes($"{{\"type\":\"input\",\"data\":\"{new string('x', 2 * 1024 * 1024)}\"}}"), WebSocketMessageType.Text);
                    break;
                case HostileFrames.InvalidUtf8Text:
                    await Frame([0x7b, 0xff, 0xfe, 0xc3, 0x28, 0x7d], WebSocketMessageType.Text);
                    break;
                case HostileFrames.InvalidUtf8Binary:
                    await Frame([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80], WebSocketMessageType.Binary);
                    return null;
                case HostileFrames.NotJson:
                    await Frame("{\"type\":\"input\",\"data\":"u8.ToArray(), WebSocketMessageType.Text);
                    break;
                case HostileFrames.WrongTypes:
                    await Frame("{\"type\":[1],\"cols\":\"x\",\"rows\":1e400,\"data\":{}}"u8.ToArray(), WebSocketMessageType.Text);
                    break;
                case HostileFrames.HugeResize:
                    await Frame("{\"type\":\"resize\",\"cols\":2147483647,\"rows\":-5}"u8.ToArray(), WebSocketMessageType.Text);
                    break;
                case HostileFrames.ManyFragments:
                    for (var i = 0; i < 2_000; i++)
                    {
                        await Frame("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"u8.ToArray(),
                            WebSocketMessageType.Binary, end: false);
                    }
                    await Frame([], WebSocketMessageType.Binary);
                    return null;
                case HostileFrames.UnknownControl:
                    await Frame("{\"type\":\"exec\",\"command\":[\"rm\",\"-rf\",\"/\"]}"u8.ToArray(), WebSocketMessageType.Text);
                    break;
                case HostileFrames.AbruptDisconnect:
                    socket.Abort();
                    return WebSocketCloseStatus.NormalClosure;
            }

            // A malformed control message may be refused by closing the socket; read until the close or a quiet moment.
            var buffer = new byte[8192];
            using var moment = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            moment.CancelAfter(TimeSpan.FromMilliseconds(500));
            try
            {
                while (true)
                {
                    var received = await socket.ReceiveAsync(buffer, moment.Token);
                    if (received.MessageType == WebSocketMessageType.Close)
                    {
                        return received.CloseStatus;
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Quiet: the socket is open. A cancelled receive aborts a ClientWebSocket, so the echo check is skipped.
                return socket.State == WebSocketState.Aborted ? WebSocketCloseStatus.NormalClosure : null;
            }
        }

        /// <summary>GET path with the key and Last-Event-ID; the response once its headers arrive (a request they
        /// never come for fails naming it), never a 5xx, and problem+json when it is a refusal.</summary>
        private async Task<HttpResponseMessage> Open(string path, string? key, string? lastEventId, string what, CancellationToken cancellationToken)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (key is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {key}");
            }
            if (lastEventId is not null)
            {
                request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
            }
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"no answer within 30 s to {what}");
            }
            Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode} for {what}");
            if (response.StatusCode != HttpStatusCode.OK)
            {
                await AssertProblem(response, what);
            }
            return response;
        }

        /// <summary>A refusal is problem+json, except Kestrel's own 400 for a request line it cannot parse (a NUL in
        /// the path, say), which comes before any of Granary's code and has no body.</summary>
        private static async Task AssertProblem(HttpResponseMessage response, string what)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json"
                || (response.StatusCode == HttpStatusCode.BadRequest && body.Length == 0),
                $"no problem+json for {what}: {(int)response.StatusCode} {body}");
        }

        private static string Describe(string? value) => value is null ? "(none)" : value.Length > 40 ? $"{value[..40]}… ({value.Length} chars)" : $"'{value}'";
    }
}
