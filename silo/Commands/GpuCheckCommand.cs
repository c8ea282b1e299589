using Microsoft.Extensions.Logging.Abstractions;

namespace Granary.Silo.Adapters.Nvml;

/// <summary>
/// The `gpu-check` verb: <c>granary-silo gpu-check [--library PATH]</c>. Runs the NVML discovery the
/// agent uses and prints what it found, so a GPU machine can be checked by hand
/// (deploy/scripts/gpu-check.sh). Exit codes: 0 one or more GPUs, 1 none (the reason is printed),
/// 2 bad usage.
/// </summary>
public static class GpuCheckCommand
{
    private const string Usage = """
        usage: granary-silo gpu-check [--library PATH]
          Lists the GPUs NVML reports (default library: the driver's libnvidia-ml.so.1).
        """;

    public static int Run(string[] args) => Run(args, Console.Out);

    public static int Run(string[] args, TextWriter output)
    {
        if (args is ["gpu-check", .. var rest])
        {
            args = rest;
        }

        string? libraryPath = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "-h" or "--help":
                    output.WriteLine(Usage);
                    return 0;
                case "--library" when i + 1 < args.Length:
                    libraryPath = args[++i];
                    break;
                case var arg when arg.StartsWith("--library=", StringComparison.Ordinal):
                    libraryPath = arg["--library=".Length..];
                    break;
                default:
                    output.WriteLine($"gpu-check: unknown argument {args[i]}");
                    output.WriteLine(Usage);
                    return 2;
            }
        }

        using var discovery = new NvmlGpuDiscovery(new NvmlOptions { LibraryPath = libraryPath }, NullLogger<NvmlGpuDiscovery>.Instance);
        var probe = discovery.Probe();
        output.WriteLine($"gpu-check: NVML library {probe.LibraryPath}");
        if (!probe.Available)
        {
            output.WriteLine($"gpu-check: no GPUs: {probe.Problem}");
            return 1;
        }

        output.WriteLine($"gpu-check: {probe.Devices.Count} GPU(s)");
        foreach (var device in probe.Devices)
        {
            output.WriteLine(
                $"  [{device.Index}] {device.Uuid}  {device.Name}  memory {Mib(device.MemoryTotalBytes)} MiB "
                + $"(used {Mib(device.MemoryUsedBytes)} MiB)  util {Percent(device.UtilizationPercent)}  "
                + $"mem-util {Percent(device.MemoryUtilizationPercent)}  "
                + $"mig {(device.MigEnabled is null ? "n/a" : device.MigEnabled.Value ? "on" : "off")}  "
                + $"cc {device.ComputeCapability ?? "n/a"}");

            var metrics = discovery.ReadMetrics(device.Uuid);
            output.WriteLine(metrics is null
                ? "      live metrics: unavailable"
                : $"      live metrics: util {Percent(metrics.UtilizationPercent)}, used {Mib((ulong)metrics.MemoryUsedBytes)} of {Mib((ulong)metrics.MemoryTotalBytes)} MiB");
        }

        return probe.Devices.Count > 0 ? 0 : 1;
    }

    private static ulong Mib(ulong bytes) => bytes / (1024 * 1024);

    private static string Percent(int? value) => value is null ? "n/a" : $"{value}%";
}
