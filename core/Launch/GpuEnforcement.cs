using System.Globalization;
using Granary.Resources;

namespace Granary.Agents.Launch;

/// <summary>The GPUs a container gets and the environment that enforces its fractions.</summary>
/// <param name="DeviceUuids">The devices to request from the NVIDIA runtime (by UUID), in container order.</param>
/// <param name="Env">NVIDIA_VISIBLE_DEVICES, CUDA_DEVICE_ORDER, and the limits of the node's enforcement mode.</param>
public sealed record GpuLaunch(IReadOnlyList<string> DeviceUuids, IReadOnlyDictionary<string, string> Env)
{
    public static readonly GpuLaunch None = new([], new Dictionary<string, string>());
}

/// <summary>
/// Turns a placement's GPU shares into what the container needs, per the node's enforcement mode:
/// <list type="bullet">
/// <item><c>mps</c>: CUDA MPS client limits, CUDA_MPS_ACTIVE_THREAD_PERCENTAGE (one value for every device of the
/// client) and CUDA_MPS_PINNED_DEVICE_MEM_LIMIT="0=3276M,1=…" (per device).</item>
/// <item><c>hami</c>: HAMi-core's libvgpu (supplied by the operator), CUDA_DEVICE_SM_LIMIT (percent) and
/// CUDA_DEVICE_MEMORY_LIMIT_&lt;i&gt;="3276m" per device.</item>
/// <item><c>mig</c>: the shares are MIG devices, isolated by the hardware; <c>none</c>: accounting only.
/// Neither sets limits.</item>
/// </list>
/// Device numbers are the container's CUDA ordinals: the devices in host index order (NVML numbers them by PCI bus,
/// and CUDA_DEVICE_ORDER=PCI_BUS_ID makes CUDA agree). Limits are set only when some share is a fraction of its
/// device; one percentage covering several devices is the smallest share, so no device gets more than its share.
/// Memory is rounded down to whole MiB.
/// </summary>
public static class GpuEnforcement
{
    public static readonly IReadOnlyList<string> Modes = ["mps", "hami", "mig", "none"];

    private const long MiB = 1024 * 1024;

    /// <exception cref="ArgumentException">An unknown mode, a share of a device the node does not have, or a share
    /// outside 1..1000 milli-GPU.</exception>
    public static GpuLaunch For(string enforcementMode, IReadOnlyList<GpuShare> shares, IReadOnlyList<GpuDeviceInfo> devices)
    {
        if (!Modes.Contains(enforcementMode))
            throw new ArgumentException(
                $"GPU enforcement mode '{enforcementMode}' is not one of {string.Join(", ", Modes)}.", nameof(enforcementMode));
        if (shares.Count == 0)
            return GpuLaunch.None;

        var assigned = shares
            .GroupBy(s => s.Uuid)
            .Select(g => (Device: DeviceOf(g.Key, devices), Milli: g.Sum(s => s.Milli)))
            .OrderBy(a => a.Device.Index)
            .ToList();
        foreach (var (device, milli) in assigned)
        {
            if (milli is <= 0 or > 1000)
                throw new ArgumentException($"GPU {device.Uuid}: a share must be 1..1000 milli-GPU, not {milli}.", nameof(shares));
        }

        var uuids = assigned.Select(a => a.Device.Uuid).ToList();
        var env = new Dictionary<string, string>
        {
            ["NVIDIA_VISIBLE_DEVICES"] = string.Join(',', uuids),
            ["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID",
        };
        if (assigned.All(a => a.Milli == 1000))
            return new GpuLaunch(uuids, env);

        var percent = Percent(assigned.Min(a => a.Milli));
        var memory = assigned.Select((a, ordinal) => (Ordinal: ordinal, MiBs: a.Device.MemoryBytes * a.Milli / (1000 * MiB))).ToList();
        switch (enforcementMode)
        {
            case "mps":
                env["CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"] = percent;
                env["CUDA_MPS_PINNED_DEVICE_MEM_LIMIT"] = string.Join(',', memory.Select(m => Invariant($"{m.Ordinal}={m.MiBs}M")));
                break;
            case "hami":
                env["CUDA_DEVICE_SM_LIMIT"] = percent;
                foreach (var (ordinal, mibs) in memory)
                    env[Invariant($"CUDA_DEVICE_MEMORY_LIMIT_{ordinal}")] = Invariant($"{mibs}m");
                break;
        }
        return new GpuLaunch(uuids, env);
    }

    private static GpuDeviceInfo DeviceOf(string uuid, IReadOnlyList<GpuDeviceInfo> devices)
        => devices.FirstOrDefault(d => d.Uuid == uuid)
            ?? throw new ArgumentException($"GPU {uuid} is not a device of this node.", nameof(devices));

    /// <summary>Whole percent, rounded down, at least 1.</summary>
    private static string Percent(int milli) => Math.Max(1, milli / 10).ToString(CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
