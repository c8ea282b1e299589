using Granary.Benchmarks.Deployment;

if (args.Contains("--help"))
{
    Console.WriteLine(DeploymentOptions.Usage);
    return 0;
}

DeploymentOptions options;
try
{
    options = DeploymentOptions.Parse(args);
}
catch (ArgumentException exception)
{
    Console.Error.WriteLine(exception.Message);
    Console.Error.WriteLine(DeploymentOptions.Usage);
    return 2;
}

var results = new List<ModeResult>();
foreach (var commit in options.SynchronousCommit)
{
    Console.Error.WriteLine($"synchronous_commit={commit}: starting {options.Managers} manager(s), {options.AgentProcesses} agent process(es) "
        + $"with {options.Nodes} simulated nodes, {options.Gateways} gateway(s)...");
    await using var cluster = await DeploymentCluster.Start(options, commit);
    Console.Error.WriteLine($"  every node alive after {cluster.StartTime.TotalSeconds:F0} s");
    var idleBefore = cluster.CpuTime();
    await Task.Delay(TimeSpan.FromSeconds(10));
    Console.Error.WriteLine("  idle, CPU ms per second: " + string.Join(", ", cluster.CpuTime().Select(c => $"{c.Key} {(c.Value - idleBefore.GetValueOrDefault(c.Key)).TotalMilliseconds / 10:F0}")));
    using var load = new RestLoad(cluster, options);
    await load.CreateUsers();
    if (options.Warmup > 0)
    {
        Print("warm-up", await load.Run(options.Warmup, rate: 0));
    }
    var saturated = new List<RunResult>();
    var paced = new List<RunResult>();
    for (var i = 0; i < options.Runs; i++)
    {
        saturated.Add(Print("saturation", await load.Run(options.Sessions, rate: 0)));
    }
    for (var i = 0; options.Rate > 0 && i < options.Runs; i++)
    {
        paced.Add(Print($"paced {options.Rate}/s", await load.Run(options.Sessions, options.Rate)));
    }
    results.Add(new ModeResult(commit, saturated, paced));
}
Report.Print(options, results);
return results.All(r => r.Saturated.Concat(r.Paced).All(run => run.Failed == 0)) ? 0 : 1;

static RunResult Print(string label, RunResult r)
{
    Console.Error.WriteLine($"  {label} (load average {Report.LoadAverage()}): {r.SessionsPerSecond:F0} sessions/s, create->RUNNING p50 {r.P50Ms:F0} ms "
        + $"p99 {r.P99Ms:F0} ms, POST p50 {r.CreateP50Ms:F0} ms p99 {r.CreateP99Ms:F0} ms, {r.WritesPerSession:F1} state writes and "
        + $"{r.CpuMsPerSession:F1} ms CPU per session, failed {r.Failed}" + (r.FirstError is null ? "" : $" ({r.FirstError})"));
    Console.Error.WriteLine("    CPU ms per session: " + string.Join(", ", r.CpuMsPerSessionByRole.Select(c => $"{c.Key} {c.Value:F1}")));
    Console.Error.WriteLine("    writes per session: " + string.Join(", ", r.Writes.Select(w => $"{Report.ShortName(w.GrainType)} {w.PerSession:F2}")));
    return r;
}
