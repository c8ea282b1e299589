using System.Diagnostics;
using Granary.Benchmarks.Soak;
using Granary.TestHelpers;

// The soak: Granary as an operator runs it (gateway process with the manager silo, an agent silo process for a
// node on the Docker driver, PostgreSQL), clients creating, using and deleting sessions until the time is up, the
// agent killed and restarted along the way. Exit code 0 only if every request was answered without a 5xx, every
// client completed cycles, and nothing leaked (containers, networks, allocations, keys, folders).
SoakOptions options;
try
{
    options = SoakOptions.Parse(args);
}
catch (ArgumentException exception)
{
    Console.Error.WriteLine(exception.Message);
    Console.Error.WriteLine(SoakOptions.Usage);
    return 2;
}

var docker = Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/lib/granary/docker/docker.sock";
Console.WriteLine($"soak: {options.Duration.TotalMinutes:F0} min, {options.Clients} clients, agent restart every {options.RestartEvery.TotalSeconds:F0} s, logs in {options.LogDirectory}");
await using var granary = await LocalGranary.Start(new LocalGranaryOptions("soak", docker, SeparateAgent: true, options.LogDirectory,
    Settings: new Dictionary<string, string?>
    {
        // The soak's own requests must not be refused by the per-key rate limit; everything else stays at Debug
        // only for the secrets test: here Information keeps the logs readable.
        ["Logging__LogLevel__Default"] = "Information",
        ["Logging__LogLevel__Microsoft"] = "Warning",
        ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
        ["Logging__LogLevel__Orleans"] = "Warning",
        ["Logging__LogLevel__Polly"] = "Warning",
        ["Logging__LogLevel__Yarp"] = "Warning",
    }));
var ledger = new RequestLedger();
var restarts = new AgentRestarts();
var leaks = new LeakCheck(granary, docker, restarts);

using var admin = granary.Client(granary.AdminKey, ledger.Handler());
var clients = new List<SoakClient>();
for (var i = 0; i < options.Clients; i++)
{
    clients.Add(await leaks.NewUser(admin, ledger, $"soak{i}"));
}

var clock = Stopwatch.StartNew();
var deadline = DateTime.UtcNow + options.Duration;
using var stop = new CancellationTokenSource();
var memory = new MemorySamples();
var heap = new MemorySamples();
var committed = new MemorySamples();
using var metrics = granary.Client(granary.AdminKey);
var sampling = Task.Run(async () =>
{
    while (!stop.IsCancellationRequested)
    {
        if (granary.Gateway.ResidentBytes() is { } bytes)
        {
            memory.Add(clock.Elapsed, bytes);
        }
        try
        {
            var (heapBytes, committedBytes) = await ManagedHeap.Read(metrics, CancellationToken.None);
            if (heapBytes is { } heapNow)
            {
                heap.Add(clock.Elapsed, heapNow);
            }
            if (committedBytes is { } committedNow)
            {
                committed.Add(clock.Elapsed, committedNow);
            }
        }
        catch (HttpRequestException e)
        {
            Console.WriteLine($"soak: {clock.Elapsed:mm\\:ss} no heap sample: {e.Message}");
        }
        await Task.Delay(TimeSpan.FromSeconds(5), stop.Token).ContinueWith(_ => { });
    }
});
var restarting = Task.Run(async () =>
{
    while (true)
    {
        await Task.Delay(options.RestartEvery, stop.Token).ContinueWith(_ => { });
        // No restart after the deadline: the clients are finishing their last cycles, then the leak check runs.
        if (stop.IsCancellationRequested || DateTime.UtcNow >= deadline)
        {
            return;
        }
        Console.WriteLine($"soak: {clock.Elapsed:mm\\:ss} killing the agent silo and starting a new one");
        await restarts.Around(granary.RestartAgent);
    }
});

await Task.WhenAll(clients.Select(c => c.Run(deadline)));
stop.Cancel();
await restarting;
await sampling;
var ran = clock.Elapsed;

foreach (var client in clients)
{
    client.Dispose();
}

var failures = new List<string>();
failures.AddRange(clients.SelectMany(c => c.Problems));
failures.AddRange(ledger.Failures);
failures.AddRange(clients.Where(c => c.Ran == 0).Select(c => $"{c.Name} ran no session"));
failures.AddRange(await leaks.Find(admin, clients));

var warmUp = options.Duration * SoakOptions.WarmUpShare;
var (count, first, last, slope) = memory.After(warmUp);
Console.WriteLine($"soak: {ran.TotalMinutes:F1} min, {restarts.Count} agent restarts, {clients.Sum(c => c.Cycles)} cycles, {clients.Sum(c => c.Ran)} sessions ran, {clients.Sum(c => c.Interrupted)} ended before running by a restart");
Console.WriteLine($"soak: requests {ledger.Total}: {ledger.Summary()}");
Console.WriteLine($"soak: gateway+manager RSS after {warmUp.TotalMinutes:F1} min warm-up: {count} samples, {first:F0} → {last:F0} MiB, slope {slope:F2} MiB/min");
var (heapCount, heapFirst, heapLast, heapSlope) = heap.After(warmUp);
Console.WriteLine($"soak: gateway+manager managed heap after its last GC, after warm-up: {heapCount} samples, {heapFirst:F0} → {heapLast:F0} MiB, slope {heapSlope:F2} MiB/min");
var (committedCount, committedFirst, committedLast, committedSlope) = committed.After(warmUp);
Console.WriteLine($"soak: gateway+manager GC committed memory as of its last GC, after warm-up: {committedCount} samples, {committedFirst:F0} → {committedLast:F0} MiB, slope {committedSlope:F2} MiB/min");
if (granary.Agent?.ResidentBytes() is { } agentBytes)
{
    Console.WriteLine($"soak: agent silo RSS at the end: {agentBytes / 1024.0 / 1024.0:F0} MiB (restarted {restarts.Count} times)");
}
foreach (var failure in failures)
{
    Console.WriteLine($"soak: FAILED: {failure}");
}
Console.WriteLine(failures.Count == 0 ? "soak: passed" : $"soak: FAILED ({failures.Count} failures; logs in {options.LogDirectory})");
return failures.Count == 0 ? 0 : 1;
