using Granary.Agents;
using Granary.PlatformTests.Infrastructure;
using Granary.Silo.Adapters.Nvml;
using Microsoft.Extensions.Logging.Abstractions;

namespace Granary.PlatformTests.Nvml;

/// <summary>Our NVML bindings and discovery against the fake libnvidia-ml.so.1.</summary>
[Collection(FakeNvmlCollection.Name)]
public sealed class NvmlGpuDiscoveryTests(FakeNvmlFixture nvml)
{
    private const string A100 = "device GPU-a100a100-0000-4000-8000-000000000001|NVIDIA A100-SXM4-80GB|85899345920|1073741824|37|12|1|8.0";
    private const string V100 = "device GPU-v100v100-0000-4000-8000-000000000002|Tesla V100-SXM2-16GB|17179869184|0|-1|0|-1|-1";

    [Fact]
    public void Discover_reports_each_device_with_uuid_model_memory_and_index()
    {
        nvml.Configure(A100, V100);
        using var discovery = Discovery(nvml.LibraryPath);

        var devices = discovery.Discover();

        Assert.Equal(
            [
                new GpuDeviceInfo("GPU-a100a100-0000-4000-8000-000000000001", "NVIDIA A100-SXM4-80GB", 85899345920, 0),
                new GpuDeviceInfo("GPU-v100v100-0000-4000-8000-000000000002", "Tesla V100-SXM2-16GB", 17179869184, 1),
            ],
            devices);
    }

    [Fact]
    public void Probe_reads_utilisation_mig_mode_and_compute_capability_and_marks_what_is_not_supported()
    {
        nvml.Configure(A100, V100);
        using var discovery = Discovery(nvml.LibraryPath);

        var probe = discovery.Probe();

        Assert.True(probe.Available);
        Assert.Null(probe.Problem);
        var a100 = probe.Devices[0];
        Assert.Equal((1073741824UL, 37, 12, true, "8.0"),
            (a100.MemoryUsedBytes, a100.UtilizationPercent, a100.MemoryUtilizationPercent, a100.MigEnabled, a100.ComputeCapability));
        var v100 = probe.Devices[1];
        Assert.Equal((0UL, (int?)null, (int?)null, (bool?)null, (string?)null),
            (v100.MemoryUsedBytes, v100.UtilizationPercent, v100.MemoryUtilizationPercent, v100.MigEnabled, v100.ComputeCapability));
    }

    [Fact]
    public void ReadMetrics_returns_live_utilisation_and_memory_by_uuid()
    {
        nvml.Configure(A100, V100);
        using var discovery = Discovery(nvml.LibraryPath);

        var metrics = discovery.ReadMetrics("GPU-a100a100-0000-4000-8000-000000000001");

        Assert.NotNull(metrics);
        Assert.Equal(37, metrics.UtilizationPercent);
        Assert.Equal(1073741824, metrics.MemoryUsedBytes);
        Assert.Equal(85899345920, metrics.MemoryTotalBytes);
        Assert.Null(discovery.ReadMetrics("GPU-v100v100-0000-4000-8000-000000000002")!.UtilizationPercent);
        Assert.Null(discovery.ReadMetrics("GPU-not-on-this-node"));
    }

    [Fact]
    public void A_driver_with_no_devices_means_zero_gpus_and_no_problem()
    {
        nvml.Configure();
        using var discovery = Discovery(nvml.LibraryPath);

        var probe = discovery.Probe();

        Assert.True(probe.Available);
        Assert.Empty(probe.Devices);
        Assert.Empty(discovery.Discover());
    }

    [Fact]
    public void Init_failure_means_zero_gpus_with_the_reason_not_an_exception()
    {
        nvml.Configure("init_result 9", A100);
        using var discovery = Discovery(nvml.LibraryPath);

        var probe = discovery.Probe();

        Assert.False(probe.Available);
        Assert.Equal("nvmlInit_v2 failed: DriverNotLoaded (9)", probe.Problem);
        Assert.Empty(probe.Devices);
        Assert.Empty(discovery.Discover());
        Assert.Null(discovery.ReadMetrics("GPU-a100a100-0000-4000-8000-000000000001"));
    }

    [Fact]
    public void A_driver_that_comes_up_later_is_picked_up_by_the_next_probe()
    {
        nvml.Configure("init_result 9");
        using var discovery = Discovery(nvml.LibraryPath);
        Assert.Empty(discovery.Discover());

        nvml.Configure(A100);

        Assert.Equal("GPU-a100a100-0000-4000-8000-000000000001", Assert.Single(discovery.Discover()).Uuid);
    }

    [Fact]
    public void A_missing_library_means_zero_gpus_with_the_reason_not_an_exception()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-dir-" + Guid.NewGuid().ToString("N"), "libnvidia-ml.so.1");
        using var discovery = Discovery(missing);

        var probe = discovery.Probe();

        Assert.False(probe.Available);
        Assert.StartsWith($"NVML library {missing} cannot be loaded", probe.Problem);
        Assert.Empty(discovery.Discover());
        Assert.Null(discovery.ReadMetrics("GPU-anything"));
    }

    [Fact]
    public void Nvml_is_initialised_once_and_shut_down_on_dispose()
    {
        nvml.Configure(A100);
        var discovery = Discovery(nvml.LibraryPath);

        discovery.Discover();
        discovery.Discover();
        discovery.ReadMetrics("GPU-a100a100-0000-4000-8000-000000000001");
        Assert.Equal(1, nvml.OpenInitCount());

        discovery.Dispose();
        Assert.Equal(0, nvml.OpenInitCount());
        Assert.Throws<ObjectDisposedException>(() => discovery.Discover());
    }

    [Fact]
    public void The_gpu_check_verb_prints_every_device_and_exits_0()
    {
        nvml.Configure(A100, V100);
        var output = new StringWriter();

        var exitCode = GpuCheckCommand.Run(["gpu-check", "--library", nvml.LibraryPath], output);

        Assert.Equal(0, exitCode);
        var text = output.ToString();
        Assert.Contains("gpu-check: 2 GPU(s)", text);
        Assert.Contains("[0] GPU-a100a100-0000-4000-8000-000000000001  NVIDIA A100-SXM4-80GB  memory 81920 MiB (used 1024 MiB)  util 37%", text);
        Assert.Contains("mig on  cc 8.0", text);
        Assert.Contains("[1] GPU-v100v100-0000-4000-8000-000000000002  Tesla V100-SXM2-16GB  memory 16384 MiB", text);
        Assert.Contains("live metrics: util 37%, used 1024 of 81920 MiB", text);
    }

    [Fact]
    public void The_gpu_check_verb_says_why_there_are_no_gpus_and_exits_1()
    {
        nvml.Configure("init_result 9");
        var output = new StringWriter();

        var exitCode = GpuCheckCommand.Run(["--library", nvml.LibraryPath], output);

        Assert.Equal(1, exitCode);
        Assert.Contains("gpu-check: no GPUs: nvmlInit_v2 failed: DriverNotLoaded (9)", output.ToString());
    }

    private static NvmlGpuDiscovery Discovery(string libraryPath) =>
        new(new NvmlOptions { LibraryPath = libraryPath }, NullLogger<NvmlGpuDiscovery>.Instance);
}
