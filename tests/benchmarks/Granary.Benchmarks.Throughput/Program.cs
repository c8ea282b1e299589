using Granary.Benchmarks.Throughput;

BenchmarkOptions options;
try
{
    options = BenchmarkOptions.Parse(args);
}
catch (ArgumentException exception)
{
    Console.Error.WriteLine(exception.Message);
    Console.Error.WriteLine(BenchmarkOptions.Usage);
    return 2;
}

using var meter = new SchedulerMeter();
var throughput = await Benchmark.Throughput(options, meter);
var scale = await Benchmark.Scale(options, meter);
Report.Print(options, throughput, scale);
return throughput.Runs.All(r => r.Failed == 0) && scale.All(s => s.Run.Failed == 0) ? 0 : 1;
