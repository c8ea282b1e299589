using Granary.Agents;
using Granary.Agents.Launch;
using Granary.Agents.Runtime;
using Granary.Resources;

namespace Granary.UnitTests.Launch;

/// <summary>The pure mapping from GPU shares to a container's devices, environment, mounts and IPC, for every mode.</summary>
public sealed class GpuEnforcementTests
{
    private const long GiB = 1024L * 1024 * 1024;
    private static readonly GpuDeviceInfo Gpu0 = new("GPU-aaaa", "V100", 16 * GiB, 0);
    private static readonly GpuDeviceInfo Gpu1 = new("GPU-bbbb", "V100", 16 * GiB, 1);
    private static readonly GpuDeviceInfo Gpu2 = new("GPU-cccc", "A100", 80 * GiB, 2);
    private static readonly GpuDeviceInfo Mig1g = new("MIG-1111", "NVIDIA H100 80GB HBM3", 10 * GiB, 3, Sms: 16, Parent: "GPU-dddd", MigProfile: "1g.10gb");
    private static readonly GpuDeviceInfo[] Devices = [Gpu0, Gpu1, Gpu2, Mig1g];

    private static readonly GpuEnforcementOptions Options = new()
    {
        MpsPipeDirectory = "/run/granary/mps/pipe",
        HamiLibrary = "/opt/hami/libvgpu.so",
        HamiPreloadFile = "/run/granary/hami/ld.so.preload",
    };

    private static GpuLaunch For(string mode, params GpuShare[] shares) => GpuEnforcement.For(mode, Options, shares, Devices);

    [Fact]
    public void Mps_makes_a_fifth_of_a_16_GiB_device_an_mps_client_with_its_limits()
    {
        var launch = For("mps", new GpuShare(Gpu1.Uuid, 200));

        Assert.Equal([Gpu1.Uuid], launch.DeviceUuids);
        Assert.Equal(new Dictionary<string, string>
        {
            ["NVIDIA_VISIBLE_DEVICES"] = "GPU-bbbb",
            ["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID",
            ["CUDA_MPS_PIPE_DIRECTORY"] = "/tmp/nvidia-mps",
            ["CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"] = "20",
            ["CUDA_MPS_PINNED_DEVICE_MEM_LIMIT"] = "0=3276M", // 16384 MiB × 0.2 = 3276.8, rounded down
        }, launch.Env);
        Assert.Equal([new BindMount("/run/granary/mps/pipe", "/tmp/nvidia-mps", ReadOnly: false)], launch.Mounts);
        Assert.Equal("host", launch.IpcMode);
    }

    [Fact]
    public void Mps_whole_devices_go_through_the_daemon_without_limits()
    {
        var launch = For("mps", new GpuShare(Gpu0.Uuid, 1000), new GpuShare(Gpu2.Uuid, 1000));

        Assert.Equal([Gpu0.Uuid, Gpu2.Uuid], launch.DeviceUuids);
        Assert.Equal(new Dictionary<string, string>
        {
            ["NVIDIA_VISIBLE_DEVICES"] = "GPU-aaaa,GPU-cccc",
            ["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID",
            ["CUDA_MPS_PIPE_DIRECTORY"] = "/tmp/nvidia-mps",
        }, launch.Env);
        Assert.Equal([new BindMount("/run/granary/mps/pipe", "/tmp/nvidia-mps", false)], launch.Mounts);
        Assert.Equal("host", launch.IpcMode);
    }

    [Fact]
    public void Hami_mounts_and_preloads_libvgpu_and_limits_a_fifth_of_a_16_GiB_device()
    {
        var launch = For("hami", new GpuShare(Gpu0.Uuid, 200));

        Assert.Equal([Gpu0.Uuid], launch.DeviceUuids);
        Assert.Equal(new Dictionary<string, string>
        {
            ["NVIDIA_VISIBLE_DEVICES"] = "GPU-aaaa",
            ["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID",
            ["CUDA_DEVICE_SM_LIMIT"] = "20",
            ["CUDA_DEVICE_SM_LIMIT_0"] = "20",
            ["CUDA_DEVICE_MEMORY_LIMIT_0"] = "3276m",
        }, launch.Env);
        Assert.Equal(
            [
                new BindMount("/opt/hami/libvgpu.so", "/usr/local/vgpu/libvgpu.so", ReadOnly: true),
                new BindMount("/run/granary/hami/ld.so.preload", "/etc/ld.so.preload", ReadOnly: true),
            ],
            launch.Mounts);
        Assert.Null(launch.IpcMode);
        Assert.Equal("/usr/local/vgpu/libvgpu.so\n", GpuEnforcement.HamiPreloadContent);
    }

    [Fact]
    public void A_split_over_two_devices_numbers_them_in_container_order_with_exact_per_device_limits()
    {
        // Given out of order: the container sees the devices by host index (GPU-bbbb is its device 0).
        GpuShare[] shares = [new(Gpu2.Uuid, 250), new(Gpu1.Uuid, 500)];

        var mps = For("mps", shares);
        var hami = For("hami", shares);

        Assert.Equal([Gpu1.Uuid, Gpu2.Uuid], mps.DeviceUuids);
        Assert.Equal("GPU-bbbb,GPU-cccc", mps.Env["NVIDIA_VISIBLE_DEVICES"]);
        Assert.Equal("25", mps.Env["CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"]); // one value per client: the smaller share
        Assert.Equal("0=8192M,1=20480M", mps.Env["CUDA_MPS_PINNED_DEVICE_MEM_LIMIT"]);
        Assert.Equal([Gpu1.Uuid, Gpu2.Uuid], hami.DeviceUuids);
        Assert.Equal("25", hami.Env["CUDA_DEVICE_SM_LIMIT"]);
        Assert.Equal("50", hami.Env["CUDA_DEVICE_SM_LIMIT_0"]);
        Assert.Equal("25", hami.Env["CUDA_DEVICE_SM_LIMIT_1"]);
        Assert.Equal("8192m", hami.Env["CUDA_DEVICE_MEMORY_LIMIT_0"]);
        Assert.Equal("20480m", hami.Env["CUDA_DEVICE_MEMORY_LIMIT_1"]);
    }

    [Fact]
    public void A_whole_device_beside_a_fraction_still_gets_its_per_device_limit()
    {
        var hami = For("hami", new GpuShare(Gpu0.Uuid, 1000), new GpuShare(Gpu1.Uuid, 333));
        var mps = For("mps", new GpuShare(Gpu0.Uuid, 1000), new GpuShare(Gpu1.Uuid, 333));

        Assert.Equal("16384m", hami.Env["CUDA_DEVICE_MEMORY_LIMIT_0"]);
        Assert.Equal("100", hami.Env["CUDA_DEVICE_SM_LIMIT_0"]);
        Assert.Equal("5455m", hami.Env["CUDA_DEVICE_MEMORY_LIMIT_1"]); // 16384 × 0.333 = 5455.872
        Assert.Equal("33", hami.Env["CUDA_DEVICE_SM_LIMIT_1"]);
        Assert.Equal("0=16384M,1=5455M", mps.Env["CUDA_MPS_PINNED_DEVICE_MEM_LIMIT"]);
        Assert.Equal("33", mps.Env["CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"]);
    }

    [Theory]
    [InlineData("hami")]
    [InlineData("mig")]
    [InlineData("none")]
    public void Whole_gpus_get_their_devices_and_nothing_else_outside_mps(string mode)
    {
        var launch = For(mode, new GpuShare(Gpu0.Uuid, 1000), new GpuShare(Gpu1.Uuid, 1000));

        Assert.Equal([Gpu0.Uuid, Gpu1.Uuid], launch.DeviceUuids);
        Assert.Equal(new Dictionary<string, string>
        {
            ["NVIDIA_VISIBLE_DEVICES"] = "GPU-aaaa,GPU-bbbb",
            ["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID",
        }, launch.Env);
        Assert.Empty(launch.Mounts);
        Assert.Null(launch.IpcMode);
    }

    [Fact]
    public void Mig_gives_the_container_the_mig_instance_by_its_uuid()
    {
        var launch = For("mig", new GpuShare(Mig1g.Uuid, 1000));

        Assert.Equal(["MIG-1111"], launch.DeviceUuids);
        Assert.Equal("MIG-1111", launch.Env["NVIDIA_VISIBLE_DEVICES"]);
        Assert.Equal(["CUDA_DEVICE_ORDER", "NVIDIA_VISIBLE_DEVICES"], launch.Env.Keys.Order());
        Assert.Empty(launch.Mounts);
    }

    [Theory]
    [InlineData("mig")]
    [InlineData("mps")]
    [InlineData("hami")]
    public void A_mig_slot_recorded_at_what_it_covers_is_the_whole_instance_without_limits(string mode)
    {
        // The allocation map records a 1g.10gb slot at the 121 milli-GPU of its H100 it covers; the session holds all of it.
        var launch = For(mode, new GpuShare(Mig1g.Uuid, 121));

        Assert.Equal(["MIG-1111"], launch.DeviceUuids);
        Assert.Equal("MIG-1111", launch.Env["NVIDIA_VISIBLE_DEVICES"]);
        Assert.DoesNotContain(launch.Env.Keys, k => k.StartsWith("CUDA_MPS_ACTIVE", StringComparison.Ordinal)
            || k.StartsWith("CUDA_MPS_PINNED", StringComparison.Ordinal) || k.StartsWith("CUDA_DEVICE_MEMORY", StringComparison.Ordinal)
            || k.StartsWith("CUDA_DEVICE_SM", StringComparison.Ordinal));
    }

    [Fact]
    public void Mode_none_passes_a_fraction_as_the_device_only_and_says_it_is_not_enforced()
    {
        var launch = For("none", new GpuShare(Gpu2.Uuid, 200));

        Assert.Equal([Gpu2.Uuid], launch.DeviceUuids);
        Assert.Equal(["CUDA_DEVICE_ORDER", "NVIDIA_VISIBLE_DEVICES"], launch.Env.Keys.Order());
        Assert.Empty(launch.Mounts);
        Assert.False(GpuEnforcement.Enforces("none"));
        Assert.All(["mps", "hami", "mig"], mode => Assert.True(GpuEnforcement.Enforces(mode)));
    }

    [Theory]
    [InlineData("mps")]
    [InlineData("hami")]
    [InlineData("mig")]
    [InlineData("none")]
    public void No_gpus_means_no_devices_the_void_device_list_and_no_mounts(string mode)
    {
        var launch = For(mode);

        Assert.Empty(launch.DeviceUuids);
        Assert.Equal(new Dictionary<string, string> { ["NVIDIA_VISIBLE_DEVICES"] = "void" }, launch.Env);
        Assert.Empty(launch.Mounts);
        Assert.Null(launch.IpcMode);
    }

    [Fact]
    public void A_tiny_share_still_gets_one_percent()
    {
        var launch = For("mps", new GpuShare(Gpu0.Uuid, 5));

        Assert.Equal("1", launch.Env["CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"]);
        Assert.Equal("0=81M", launch.Env["CUDA_MPS_PINNED_DEVICE_MEM_LIMIT"]); // 16384 × 0.005 = 81.92
    }

    [Theory]
    [InlineData("MPS", "GPU-aaaa", 200, "is not one of mps, hami, mig, none")]
    [InlineData("mps", "GPU-zzzz", 200, "GPU GPU-zzzz is not a device of this node")]
    [InlineData("hami", "GPU-aaaa", 0, "a share must be 1..1000 milli-GPU, not 0")]
    [InlineData("hami", "GPU-aaaa", 1200, "a share must be 1..1000 milli-GPU, not 1200")]
    [InlineData("mig", "GPU-aaaa", 500, "GPU GPU-aaaa is not a MIG instance: a mig node cannot enforce 500 milli-GPU of it")]
    public void Bad_input_is_refused_with_the_reason(string mode, string uuid, int milli, string why)
    {
        var failure = Assert.Throws<ArgumentException>(() => For(mode, new GpuShare(uuid, milli)));

        Assert.Contains(why, failure.Message);
    }

    [Fact]
    public void A_hami_node_without_its_library_refuses_fractions_and_says_which_setting_is_missing()
    {
        var failure = Assert.Throws<ArgumentException>(() =>
            GpuEnforcement.For("hami", new GpuEnforcementOptions(), [new GpuShare(Gpu0.Uuid, 500)], Devices));

        Assert.Contains("Granary:Agent:Enforcement:HamiLibrary", failure.Message);
    }
}
