using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Docker.DotNet.Models;
using Granary.Agents;

namespace Granary.IntegrationTests.Trust;

/// <summary>
/// No secret reaches a log line, a problem body or a metric. Granary runs as an operator runs it (the gateway
/// process on PostgreSQL with a password in its connection string, the node on the Docker driver), every log
/// category at Debug level, and a whole session lifecycle goes through it with the secrets in play: the admin key,
/// a user's keys made by the API, the session's SSH private key, the app secret the proxy sends to Jupyter, the
/// terminal, revoked and forged keys. Then every line the process wrote, every problem body it answered and the
/// /metrics text are searched for each secret.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class SecretsTests(DockerFixture docker)
{
    [Fact]
    public async Task No_secret_appears_in_any_log_line_problem_body_or_metric_of_a_session_lifecycle()
    {
        var logDirectory = Directory.CreateTempSubdirectory("granary-secrets-logs-").FullName;
        var problems = new ConcurrentQueue<string>();
        var secrets = new Dictionary<string, string>();
        string metrics;
        string sessionId;
        IReadOnlyList<string> output;
        await using (var granary = await LocalGranary.Start(new LocalGranaryOptions("secrets", DockerFixture.Endpoint(), SeparateAgent: false, logDirectory)))
        {
            secrets["admin key"] = granary.AdminKey;
            secrets["database password"] = granary.DatabasePassword;
            HttpClient Client(string key) => granary.Client(key, new ProblemRecorder(problems));
            using var admin = Client(granary.AdminKey);

            var userName = "trust" + Guid.NewGuid().ToString("N")[..6];
            var created = await Answers.Expect(admin.PostAsJsonAsync("/v1/users", new { name = userName }), HttpStatusCode.Created);
            secrets["key made with the user"] = created.GetProperty("key").GetString()!;
            var issued = await Answers.Expect(admin.PostAsJsonAsync($"/v1/users/{userName}/keys", new { name = "laptop" }), HttpStatusCode.Created);
            secrets["key made by the admin"] = issued.GetProperty("key").GetString()!;
            using var user = Client(secrets["key made by the admin"]);
            var own = await Answers.Expect(user.PostAsJsonAsync("/v1/me/keys", new { name = "script" }), HttpStatusCode.Created);
            secrets["key made by the user"] = own.GetProperty("key").GetString()!;

            var session = await Answers.Expect(user.PostAsJsonAsync("/v1/sessions", new
            {
                image = DockerFixture.PythonImage,
                resources = new { cpu = 1, memory = "1g" },
            }), HttpStatusCode.Created);
            sessionId = session.GetProperty("id").GetString()!;
            await Eventually.Value(async () => (await Get(user, $"/v1/sessions/{sessionId}")).GetProperty("status").GetString(),
                status => status is "RUNNING" or "ERROR" or "TERMINATED", $"session {sessionId} runs");
            Assert.Equal("RUNNING", (await Get(user, $"/v1/sessions/{sessionId}")).GetProperty("status").GetString());

            var ssh = await Get(user, $"/v1/sessions/{sessionId}/ssh");
            var privateKey = ssh.GetProperty("privateKey").GetString()!;
            foreach (var (line, i) in privateKey.Split('\n').Where(l => l.Length >= 16 && !l.StartsWith("-----", StringComparison.Ordinal)).Select((l, i) => (l, i)))
            {
                secrets[$"ssh private key, line {i + 1}"] = line;
            }

            // The proxy sends the app secret to Jupyter; the terminal carries input both ways.
            await Eventually.True(async () =>
            {
                using var response = await user.GetAsync($"/v1/sessions/{sessionId}/apps/jupyter/api/status");
                return response.StatusCode == HttpStatusCode.OK;
            }, "Jupyter answers through the app proxy");
            secrets["app secret"] = await AppSecretOf(sessionId);
            Assert.Contains("42", await TerminalOutput(granary, secrets["key made by the user"], sessionId, "echo $((6*7))\r", "42"));

            // Refused requests, each with a secret in it somewhere the gateway reads.
            await Refused(Client(granary.AdminKey + "x"), "/v1/me", HttpStatusCode.Unauthorized);
            await Refused(Client(secrets["app secret"]), "/v1/me", HttpStatusCode.Unauthorized);
            await Refused(Client(privateKey.Split('\n')[1]), "/v1/sessions", HttpStatusCode.Unauthorized);
            using (var bad = await user.PostAsJsonAsync("/v1/sessions", new { image = secrets["admin key"], resources = new { cpu = 1 } }))
            {
                Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            }
            using (var bad = await user.PostAsJsonAsync("/v1/sessions", new
            {
                image = DockerFixture.PythonImage,
                resources = new { cpu = 1, memory = "1g" },
                env = new Dictionary<string, string> { ["LD_PRELOAD"] = secrets["database password"] },
            }))
            {
                Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            }
            var ownKeyId = own.GetProperty("id").GetString()!;
            using (var revoke = await user.DeleteAsync($"/v1/me/keys/{ownKeyId}"))
            {
                Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
            }
            await Refused(Client(secrets["key made by the user"]), $"/v1/sessions/{sessionId}", HttpStatusCode.Unauthorized);

            using (var delete = await user.DeleteAsync($"/v1/sessions/{sessionId}"))
            {
                Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
            }
            await Eventually.Value(async () => (await Get(user, $"/v1/sessions/{sessionId}")).GetProperty("status").GetString(),
                status => status is "TERMINATED", $"session {sessionId} ends");

            using var anonymous = new HttpClient { BaseAddress = granary.BaseUrl };
            metrics = await anonymous.GetStringAsync("/metrics");
            await granary.Gateway.Stop(TimeSpan.FromMinutes(1));
            output = [.. granary.AllOutput];
        }

        // The capture is real: Debug lines of several categories, the session's own lines among them.
        Assert.Contains(output, l => l.Contains("dbug: ", StringComparison.Ordinal)); // after the line's timestamp
        Assert.Contains(output, l => l.Contains("Orleans", StringComparison.Ordinal));
        Assert.Contains(output, l => l.Contains(sessionId, StringComparison.Ordinal));
        Assert.True(problems.Count >= 6, $"only {problems.Count} problem bodies were captured");
        Assert.Contains("granary_", metrics, StringComparison.Ordinal);

        var leaks = (
            from secret in secrets
            from place in new[] { ("log", output), ("problem", (IEnumerable<string>)problems), ("metrics", metrics.Split('\n')) }
            from line in place.Item2
            where line.Contains(secret.Value, StringComparison.Ordinal)
            select $"{secret.Key} in {place.Item1}: {line}").ToList();
        Assert.True(leaks.Count == 0, $"secrets leaked (all output in {logDirectory}):\n{string.Join('\n', leaks.Take(20))}");
        Directory.Delete(logDirectory, recursive: true);
    }

    private async Task<string> AppSecretOf(string sessionId)
    {
        var containers = await docker.Docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{ContainerLabels.Session}={sessionId}"] = true },
            },
        });
        // start.sh reads the secret file once, deletes it and hands the secret to Jupyter (run as work) in its
        // environment, which only work can read (root in the session lacks CAP_SYS_PTRACE).
        var (exitCode, secret) = await docker.Exec(Assert.Single(containers).ID, "work", "sh", "-c",
            "cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | sed -n 's/^JUPYTER_TOKEN=//p' | head -n 1");
        Assert.True(exitCode == 0, secret);
        Assert.True(secret.Trim().Length == 64, $"not an app secret: {secret}");
        return secret.Trim();
    }

    private static async Task<string> TerminalOutput(LocalGranary granary, string key, string sessionId, string input, string expected)
    {
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {key}");
        var url = new UriBuilder(granary.BaseUrl) { Scheme = "ws", Path = $"/v1/sessions/{sessionId}/terminal" }.Uri;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await socket.ConnectAsync(url, timeout.Token);
        var message = JsonSerializer.SerializeToUtf8Bytes(new { type = "input", data = input });
        await socket.SendAsync(message, WebSocketMessageType.Text, true, timeout.Token);
        var seen = new StringBuilder();
        var buffer = new byte[8192];
        while (!seen.ToString().Contains(expected, StringComparison.Ordinal))
        {
            var read = await socket.ReceiveAsync(buffer, timeout.Token);
            Assert.NotEqual(WebSocketMessageType.Close, read.MessageType);
            seen.Append(Encoding.UTF8.GetString(buffer, 0, read.Count));
        }
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        return seen.ToString();
    }

    private static async Task Refused(HttpClient client, string path, HttpStatusCode expected)
    {
        using (client)
        using (var response = await client.GetAsync(path))
        {
            Assert.Equal(expected, response.StatusCode);
        }
    }

    private static async Task<JsonElement> Get(HttpClient client, string path)
        => await Answers.Expect(client.GetAsync(path), HttpStatusCode.OK);

    /// <summary>Keeps the body of every answer that is not a success (the problem details clients see).</summary>
    private sealed class ProblemRecorder(ConcurrentQueue<string> problems) : DelegatingHandler(new HttpClientHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                await response.Content.LoadIntoBufferAsync(cancellationToken);
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                problems.Enqueue($"{(int)response.StatusCode} {request.Method} {request.RequestUri?.AbsolutePath}: {string.Join(' ', response.Headers.Select(h => $"{h.Key}={string.Join(',', h.Value)}"))} {body}");
            }
            return response;
        }
    }
}
