using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Granary.Benchmarks.Deployment;

/// <summary>
/// Sessions through the REST API, as users would make them: each POST /v1/sessions goes to the next gateway with the
/// next user's key; a created session is then asked for (GET) every follow interval until it is RUNNING. Its
/// create->RUNNING is its startedAt (the manager's clock, this machine's) minus when its POST was sent, or was due
/// in a paced run (a run that falls behind cannot hide it), so how often it is asked changes no latency.
/// </summary>
public sealed class RestLoad(DeploymentCluster cluster, DeploymentOptions options) : IDisposable
{
    private static readonly object Spec = new
    {
        name = "bench",
        image = "python:3.11",
        // Small GPU-sharing sessions: a benchmark node (64 cores, 512 GiB, 8 GPUs) holds 80.
        resources = new { cpu = 0.5, memory = "2g", fgpu = 0.1 },
    };

    private readonly HttpClient[] _gateways = [.. cluster.Gateways.Select(url => new HttpClient(
        new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
    {
        BaseAddress = url,
        Timeout = TimeSpan.FromMinutes(2),
    })];

    private string[] _keys = [];
    private int _next;
    private int _run;

    public void Dispose()
    {
        foreach (var client in _gateways)
        {
            client.Dispose();
        }
    }

    /// <summary>Makes the users (bench-1 …), each with its API key.</summary>
    public async Task CreateUsers()
    {
        using var admin = cluster.Admin(cluster.Gateways[0]);
        var keys = new List<string>();
        for (var i = 1; i <= options.Users; i++)
        {
            using var response = await admin.PostAsJsonAsync("/v1/users", new { name = $"bench-{i}" });
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            keys.Add(response.StatusCode == HttpStatusCode.Created ? body.GetProperty("key").GetString()! : throw new InvalidOperationException($"POST /v1/users: {(int)response.StatusCode} {body}"));
        }
        _keys = [.. keys];
    }

    /// <summary>One run: sessions created, followed to RUNNING, then deleted (not measured) so every run meets an
    /// empty cluster. Rate 0: saturation (options.Clients creates outstanding at once); else paced at rate/s.</summary>
    public async Task<RunResult> Run(int sessions, int rate)
    {
        var run = Interlocked.Increment(ref _run);
        var samples = new Sample[sessions];
        var follows = new ConcurrentBag<Task>();
        var writesBefore = await StorageWrites.Read(cluster.ConnectionString);
        var cpuBefore = cluster.CpuTime();
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        if (rate == 0)
        {
            var next = -1;
            await Task.WhenAll(Enumerable.Range(0, options.Clients).Select(async _ =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < sessions)
                {
                    samples[i] = await Create(DateTimeOffset.UtcNow);
                    follows.Add(Follow(samples[i]));
                }
            }));
        }
        else
        {
            var creates = new Task[sessions];
            for (var i = 0; i < sessions; i++)
            {
                var due = TimeSpan.FromSeconds((double)i / rate);
                while (clock.Elapsed < due)
                {
                    await Task.Delay(1);
                }
                var index = i;
                creates[i] = Task.Run(async () =>
                {
                    samples[index] = await Create(started + due);
                    follows.Add(Follow(samples[index]));
                });
            }
            await Task.WhenAll(creates);
        }
        await Task.WhenAll(follows);
        var writesAfter = await StorageWrites.Read(cluster.ConnectionString);
        var cpu = cluster.CpuTime().ToDictionary(c => c.Key, c => c.Value - cpuBefore.GetValueOrDefault(c.Key));
        await DeleteAll(samples.Where(s => s.Id is not null).Select(s => s.Id!));
        return RunResult.Of(run, rate, samples, started, StorageWrites.PerSession(writesBefore, writesAfter, sessions), cpu);
    }

    private async Task<Sample> Create(DateTimeOffset due)
    {
        var slot = Interlocked.Increment(ref _next);
        var sample = new Sample { Due = due };
        var sent = Stopwatch.GetTimestamp();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/sessions") { Content = JsonContent.Create(Spec) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _keys[slot % _keys.Length]);
            sample.Key = _keys[slot % _keys.Length];
            sample.Gateway = _gateways[slot % _gateways.Length];
            using var response = await sample.Gateway.SendAsync(request);
            sample.CreateMs = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            if (response.StatusCode != HttpStatusCode.Created)
            {
                sample.Error = $"POST {(int)response.StatusCode}: {body}";
                return sample;
            }
            sample.Id = body.GetProperty("id").GetString();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            sample.Error = $"POST: {e.GetType().Name}: {e.Message}";
        }
        return sample;
    }

    private async Task Follow(Sample sample)
    {
        if (sample.Id is null)
        {
            return;
        }
        var deadline = DateTimeOffset.UtcNow + options.SessionTimeout;
        while (true)
        {
            await Task.Delay(options.FollowInterval);
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/sessions/{sample.Id}");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", sample.Key);
                using var response = await sample.Gateway!.SendAsync(request);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var session = await response.Content.ReadFromJsonAsync<JsonElement>();
                    var status = session.GetProperty("status").GetString();
                    if (status == "RUNNING")
                    {
                        sample.RunningAt = session.GetProperty("startedAt").GetDateTimeOffset();
                        return;
                    }
                    if (status is "ERROR" or "TERMINATED" or "CANCELLED")
                    {
                        sample.Error = $"ended {status}: {session.GetProperty("statusReason")}";
                        return;
                    }
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
            {
                // Asked again at the next interval; a session that never answers times out below.
            }
            if (DateTimeOffset.UtcNow > deadline)
            {
                sample.Error = $"not RUNNING after {options.SessionTimeout.TotalSeconds:F0} s";
                return;
            }
        }
    }

    private async Task DeleteAll(IEnumerable<string> ids)
    {
        using var admin = cluster.Admin(cluster.Gateways[0]);
        using var gate = new SemaphoreSlim(options.Clients);
        await Task.WhenAll(ids.Select(async id =>
        {
            await gate.WaitAsync();
            try
            {
                using var response = await admin.DeleteAsync($"/v1/sessions/{id}");
                if (response.StatusCode != HttpStatusCode.Accepted)
                {
                    throw new InvalidOperationException($"DELETE /v1/sessions/{id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }
            finally
            {
                gate.Release();
            }
        }));
    }
}

/// <summary>One session of a run, filled in as it goes.</summary>
public sealed class Sample
{
    public DateTimeOffset Due { get; init; }
    public string? Key { get; set; }
    public HttpClient? Gateway { get; set; }
    public string? Id { get; set; }
    public double CreateMs { get; set; }
    public DateTimeOffset? RunningAt { get; set; }
    public string? Error { get; set; }
}
