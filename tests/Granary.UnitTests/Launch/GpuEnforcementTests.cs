using Granary.Agents;
using Granary.Agents.Launch;
using Granary.Resources;

namespace Granary.UnitTests.Launch;

/// <summary>The pure mapping from GPU shares to a container's devices and limit environment (no Docker needed).</summary>
public sealed class GpuEnforcementTests
{
    private const long GiB = 1024L * 1024 * 1024;
    private static readonly GpuDeviceInfo Gpu0 = new("GPU-aaaa", "V100", 16 * GiB, 0);
    private static readonly GpuDeviceInfo Gpu1 = new("GPU-bbbb", "V100", 16 * GiB, 1);
    private static readonly GpuDeviceInfo Gpu2 = new("GPU-cccc", "A100", 80 * GiB, 2);
    private static readonly GpuDeviceInfo[] Devices = [Gpu0, Gpu1, Gpu2];

    [Fact]
    public void Mps_limits_a_fifth_of_a_16_GiB_device()
    {
        var launch = GpuEnforcement.For("mps", [new GpuShare(Gpu1.Uuid, 200)], Devices);

        Assert.Equal([Gpu1.Uuid], launch.DeviceUuids);
        Assert.Equal(new Dictionary<string, string>
        {
            ["NVIDIA_VISIBLE_DEVICES"] = "GPU-bbbb",
            ["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID",
            ["CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"] = "20",
            ["CUDA_MPS_PINNED_DEVICE_MEM_LIMIT"] = "0=3276M", // 16384 MiB × 0.2 = 3276.8, rounded down
        }, launch.Env);
    }

    [Fact]
    public void Hami_limits_a_fifth_of_a_16_GiB_device()
    {
        var launch = GpuEnforcement.For("hami", [new GpuShare(Gpu0.Uuid, 200)], Devices);

        Assert.Equal([Gpu0.Uuid], launch.DeviceUuids);
        Assert.Equal(new Dictionary<string, string>
        {
            ["NVIDIA_VISIBLE_DEVICES"] = "GPU-aaaa",
            ["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID",
            ["CUDA_DEVICE_SM_LIMIT"] = "20",
            ["CUDA_DEVICE_MEMORY_LIMIT_0"] = "3276m",
        }, launch.Env);
    }

    [Fact]
    public void A_split_over_two_devices_numbers_them_in_container_order_and_takes_the_smaller_percentage()
    {
        // Given out of order: the container sees the devices by host index (GPU-bbbb is its device 0).
        GpuShare[] shares = [new(Gpu2.Uuid, 250), new(Gpu1.Uuid, 500)];

        var mps = GpuEnforcement.For("mps", shares, Devices);
        var hami = GpuEnforcement.For("hami", shares, Devices);

        Assert.Equal([Gpu1.Uuid, Gpu2.Uuid], mps.DeviceUuids);
        Assert.Equal("GPU-bbbb,GPU-cccc", mps.Env["NVIDIA_VISIBLE_DEVICES"]);
        Assert.Equal("25", mps.Env["CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"]);
        Assert.Equal("0=8192M,1=20480M", mps.Env["CUDA_MPS_PINNED_DEVICE_MEM_LIMIT"]);
        Assert.Equal([Gpu1.Uuid, Gpu2.Uuid], hami.DeviceUuids);
        Assert.Equal("25", hami.Env["CUDA_DEVICE_SM_LIMIT"]);
        Assert.Equal("8192m", hami.Env["CUDA_DEVICE_MEMORY_LIMIT_0"]);
        Assert.Equal("20480m", hami.Env["CUDA_DEVICE_MEMORY_LIMIT_1"]);
    }

    [Theory]
    [InlineData("mps")]
    [InlineData("hami")]
    [InlineData("mig")]
    [InlineData("none")]
    public void Whole_gpus_get_their_devices_and_no_limits(string mode)
    {
        var launch = GpuEnforcement.For(mode, [new GpuShare(Gpu0.Uuid, 1000), new GpuShare(Gpu1.Uuid, 1000)], Devices);

        Assert.Equal([Gpu0.Uuid, Gpu1.Uuid], launch.DeviceUuids);
        Assert.Equal(new Dictionary<string, string>
        {
            ["NVIDIA_VISIBLE_DEVICES"] = "GPU-aaaa,GPU-bbbb",
            ["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID",
        }, launch.Env);
    }

    [Fact]
    public void Mode_none_passes_a_fraction_as_the_device_only()
    {
        var launch = GpuEnforcement.For("none", [new GpuShare(Gpu2.Uuid, 200)], Devices);

        Assert.Equal([Gpu2.Uuid], launch.DeviceUuids);
        Assert.Equal(["CUDA_DEVICE_ORDER", "NVIDIA_VISIBLE_DEVICES"], launch.Env.Keys.Order());
    }

    [Fact]
    public void No_gpus_means_no_devices_and_no_environment()
    {
        var launch = GpuEnforcement.For("mps", [], Devices);

        Assert.Empty(launch.DeviceUuids);
        Assert.Empty(launch.Env);
    }

    [Fact]
    public void A_tiny_share_still_gets_one_percent()
    {
        var launch = GpuEnforcement.For("mps", [new GpuShare(Gpu0.Uuid, 5)], Devices);

        Assert.Equal("1", launch.Env["CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"]);
        Assert.Equal("0=81M", launch.Env["CUDA_MPS_PINNED_DEVICE_MEM_LIMIT"]); // 16384 × 0.005 = 81.92
    }

    [Theory]
    [InlineData("MPS", "GPU-aaaa", 200, "is not one of mps, hami, mig, none")]
    [InlineData("mps", "GPU-zzzz", 200, "GPU GPU-zzzz is not a device of this node")]
    [InlineData("hami", "GPU-aaaa", 0, "a share must be 1..1000 milli-GPU, not 0")]
    [InlineData("hami", "GPU-aaaa", 1200, "a share must be 1..1000 milli-GPU, not 1200")]
    public void Bad_input_is_refused_with_the_reason(string mode, string uuid, int milli, string why)
    {
        var failure = Assert.Throws<ArgumentException>(() => GpuEnforcement.For(mode, [new GpuShare(uuid, milli)], Devices));

        Assert.Contains(why, failure.Message);
    }
}
