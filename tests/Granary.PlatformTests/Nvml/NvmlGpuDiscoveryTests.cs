using Granary.Agents;
using Granary.Agents.Gpu;
using Granary.PlatformTests.Infrastructure;
using Granary.Silo.Adapters.Nvml;
using Microsoft.Extensions.Logging.Abstractions;

namespace Granary.PlatformTests.Nvml;

/// <summary>Our NVML bindings and discovery against the fake libnvidia-ml.so.1.</summary>
[Collection(FakeNvmlCollection.Name)]
public sealed class NvmlGpuDiscoveryTests(FakeNvmlFixture nvml)
{
    private const string A100 = "device GPU-a100a100-0000-4000-8000-000000000001|NVIDIA A100-SXM4-80GB|85899345920|1073741824|37|12|0|8.0";
    private const string V100 = "device GPU-v100v100-0000-4000-8000-000000000002|Tesla V100-SXM2-16GB|17179869184|0|-1|0|-1|-1";

    [Fact]
    public void Discover_reports_each_device_with_uuid_model_memory_and_index()
    {
        nvml.Configure(A100, V100);
        using var discovery = Discovery(nvml.LibraryPath);

        var devices = discovery.Discover();

        Assert.Equal(
            [
                new GpuDeviceInfo("GPU-a100a100-0000-4000-8000-000000000001", "NVIDIA A100-SXM4-80GB", 85899345920, 0, ComputeCapability: "8.0"),
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
        Assert.Equal((1073741824UL, 37, 12, false, "8.0"),
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
        Assert.Contains("mig off  cc 8.0", text);
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

/// <summary>SM counts, MIG instances, compute processes with their containers, and NVML error codes, against the
/// fake libnvidia-ml.so.1.</summary>
[Collection(FakeNvmlCollection.Name)]
public sealed class NvmlDevicesAndProcessesTests(FakeNvmlFixture nvml) : IDisposable
{
    private const string H100 = "GPU-h100h100-0000-4000-8000-000000000001";
    private const string Mig1g = "MIG-11111111-0000-4000-8000-000000000001";
    private const string Mig3g = "MIG-33333333-0000-4000-8000-000000000003";
    private const string ContainerA = "4f1c1e0d2b3a49587766554433221100aabbccddeeff00112233445566778899";
    private readonly string _proc = Path.Combine(Path.GetTempPath(), "granary-fake-proc-" + Guid.NewGuid().ToString("N")[..8]);

    private static readonly string[] MigNode =
    [
        $"device {H100}|NVIDIA H100 80GB HBM3|85899345920|0|-1|0|1|9.0|132",
        $"mig {H100}|0|{Mig1g}|NVIDIA H100 80GB HBM3 MIG 1g.10gb|10200547328|0|16|1",
        $"mig {H100}|3|{Mig3g}|NVIDIA H100 80GB HBM3 MIG 3g.40gb|42949672960|0|60|3",
        "device GPU-a100a100-0000-4000-8000-000000000002|NVIDIA A100-SXM4-80GB|85899345920|0|5|1|0|8.0|108",
    ];

    [Fact]
    public void A_gpu_in_mig_mode_is_offered_as_its_mig_instances_with_profile_memory_and_sms()
    {
        nvml.Configure(MigNode);
        using var discovery = Discovery();

        var devices = discovery.Discover();

        Assert.Equal(
            [
                new GpuDeviceInfo(Mig1g, "NVIDIA H100 80GB HBM3", 10200547328, 0, 16, "9.0", H100, "1g.10gb", 85899345920, 132),
                new GpuDeviceInfo(Mig3g, "NVIDIA H100 80GB HBM3", 42949672960, 0, 60, "9.0", H100, "3g.40gb", 85899345920, 132),
                new GpuDeviceInfo("GPU-a100a100-0000-4000-8000-000000000002", "NVIDIA A100-SXM4-80GB", 85899345920, 1, 108, "8.0"),
            ],
            devices);
        var h100 = discovery.Probe().Devices[0];
        Assert.Equal(132, h100.Sms);
        Assert.Equal(["1g.10gb", "3g.40gb"], h100.MigInstances!.Select(m => m.Profile));
    }

    [Fact]
    public void Sms_are_unknown_where_the_driver_does_not_report_them()
    {
        nvml.Configure("device GPU-v100v100-0000-4000-8000-000000000002|Tesla V100-SXM2-16GB|17179869184|0|-1|0|-1|7.0");
        using var discovery = Discovery();

        Assert.Null(Assert.Single(discovery.Probe().Devices).Sms);
        Assert.Equal(0, Assert.Single(discovery.Discover()).Sms);
    }

    [Fact]
    public void Every_sample_lists_the_compute_processes_with_the_container_each_runs_in()
    {
        nvml.Configure([.. MigNode, $"process {Mig1g}|4242|1073741824"]);
        FakeProcess(4242, $"12:memory:/docker/{ContainerA}\n0::/system.slice/docker-{ContainerA}.scope\n");
        using var discovery = Discovery();

        var first = discovery.ReadMetrics(Mig1g)!;
        Assert.Equal([new GpuProcess(4242, 1073741824, ContainerA)], first.Processes);
        Assert.Null(first.UtilizationPercent); // MIG instances report no utilisation

        // The next sample sees what changed: more processes than the first call's buffer, one outside any container.
        nvml.Configure([.. MigNode, $"process {Mig1g}|4242|2147483648", $"process {Mig1g}|77|1048576",
            .. Enumerable.Range(1000, 6).Select(pid => $"process {Mig1g}|{pid}|1")]);
        FakeProcess(77, "0::/user.slice/session-1.scope\n");
        var second = discovery.ReadMetrics(Mig1g)!;

        Assert.Equal(8, second.Processes!.Count);
        Assert.Equal(new GpuProcess(4242, 2147483648, ContainerA), second.Processes[0]);
        Assert.Equal(new GpuProcess(77, 1048576, null), second.Processes[1]);
        Assert.All(second.Processes.Skip(2), p => Assert.Null(p.ContainerId)); // no /proc entry: gone
        Assert.Empty(discovery.ReadMetrics(Mig3g)!.Processes!);
    }

    [Fact]
    public void Error_codes_leave_out_only_what_failed()
    {
        nvml.Configure([.. MigNode, $"process {H100}|1|1",
            "fail nvmlDeviceGetComputeRunningProcesses_v3 4", "fail nvmlDeviceGetMaxMigDeviceCount 3", "fail nvmlDeviceGetUtilizationRates 15"]);
        using var discovery = Discovery();

        var probe = discovery.Probe();

        Assert.True(probe.Available);
        Assert.Empty(probe.Devices[0].MigInstances!); // MIG mode on, instances not readable: none offered
        Assert.Equal(["GPU-a100a100-0000-4000-8000-000000000002"], discovery.Discover().Select(d => d.Uuid));
        var metrics = discovery.ReadMetrics("GPU-a100a100-0000-4000-8000-000000000002")!;
        Assert.Null(metrics.Processes); // NoPermission: unknown, not "none"
        Assert.Null(metrics.UtilizationPercent); // GpuIsLost
        Assert.Equal(85899345920, metrics.MemoryTotalBytes);
    }

    [Fact]
    public void The_gpu_check_verb_lists_sms_and_mig_instances()
    {
        nvml.Configure(MigNode);
        var output = new StringWriter();

        Assert.Equal(0, GpuCheckCommand.Run(["--library", nvml.LibraryPath], output));

        Assert.Contains("mig on  cc 9.0  sms 132", output.ToString());
        Assert.Contains($"MIG 1g.10gb  {Mig1g}  memory 9728 MiB  sms 16", output.ToString());
    }

    [Theory]
    [InlineData("12:memory:/docker/" + ContainerA + "\n", ContainerA)]
    [InlineData("0::/system.slice/docker-" + ContainerA + ".scope\n", ContainerA)]
    [InlineData("0::/kubepods/burstable/pod1/cri-containerd-" + ContainerA + ".scope\n", ContainerA)]
    [InlineData("0::/user.slice/user-1000.slice/session-3.scope\n", null)]
    [InlineData("0::/docker/" + "abc123\n", null)]
    public void The_container_of_a_process_comes_from_its_cgroup(string cgroup, string? container)
    {
        Assert.Equal(container, CgroupContainer.IdOf(cgroup));
    }

    public void Dispose()
    {
        if (Directory.Exists(_proc))
        {
            Directory.Delete(_proc, recursive: true);
        }
    }

    private void FakeProcess(int pid, string cgroup)
    {
        var directory = Path.Combine(_proc, pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "cgroup"), cgroup);
    }

    private NvmlGpuDiscovery Discovery() =>
        new(new NvmlOptions { LibraryPath = nvml.LibraryPath, ProcRoot = _proc }, NullLogger<NvmlGpuDiscovery>.Instance);
}
