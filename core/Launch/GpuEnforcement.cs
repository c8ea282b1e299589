using System.Globalization;
using Granary.Agents.Runtime;
using Granary.Resources;

namespace Granary.Agents.Launch;

/// <summary>The GPUs a container gets and what enforces its fractions: devices to request from the NVIDIA runtime
/// (by UUID, in container order), environment, host paths to mount, and the IPC mode (null: Docker's default).</summary>
public sealed record GpuLaunch(
    IReadOnlyList<string> DeviceUuids,
    IReadOnlyDictionary<string, string> Env,
    IReadOnlyList<BindMount> Mounts,
    string? IpcMode)
{
    /// <summary>No GPU: NVIDIA_VISIBLE_DEVICES=void, so that on a node whose Docker runs the NVIDIA runtime by default
    /// the container sees no device (an unset variable there would mean all of them).</summary>
    public static readonly GpuLaunch None = new([], new Dictionary<string, string> { ["NVIDIA_VISIBLE_DEVICES"] = "void" }, [], null);
}

/// <summary>
/// Turns a placement's GPU shares into what the container needs, per the node's enforcement mode (a pure function):
/// <list type="bullet">
/// <item><c>mps</c>: every GPU container is an MPS client: the host's pipe directory mounted at
/// <see cref="MpsPipeInContainer"/> (CUDA_MPS_PIPE_DIRECTORY), the host's IPC namespace (the MPS server shares memory
/// with its clients through it), and for a fraction CUDA_MPS_ACTIVE_THREAD_PERCENTAGE (one value for every device of
/// the client: the smallest share) and CUDA_MPS_PINNED_DEVICE_MEM_LIMIT="0=3276M,1=…" (per device). Whole devices
/// go through MPS too: on an exclusive-process device a process outside MPS cannot get a context.</item>
/// <item><c>hami</c>: the operator's libvgpu.so mounted read-only and preloaded through a read-only mounted
/// /etc/ld.so.preload, CUDA_DEVICE_MEMORY_LIMIT_&lt;i&gt;="3276m" and CUDA_DEVICE_SM_LIMIT_&lt;i&gt; per device, and
/// CUDA_DEVICE_SM_LIMIT (the smallest) for HAMi-core versions that read only the one value.</item>
/// <item><c>mig</c>: fractions are MIG instances, isolated by the hardware: the container gets the MIG device UUIDs
/// and no limits. A share of a MIG instance is the whole instance (the allocation map gives slots whole, recorded
/// at what they cover of their GPU); a part of a device that is not a MIG instance cannot be enforced and is
/// refused.</item>
/// <item><c>none</c>: accounting only: the devices, no limits.</item>
/// </list>
/// Device numbers are the container's CUDA ordinals: the devices in host index order (NVML numbers them by PCI bus,
/// and CUDA_DEVICE_ORDER=PCI_BUS_ID makes CUDA agree). Percentages are whole, rounded down, at least 1; memory is
/// the device's memory times the share, rounded down to whole MiB.
/// </summary>
public static class GpuEnforcement
{
    public static readonly IReadOnlyList<string> Modes = ["mps", "hami", "mig", "none"];

    public const string MpsPipeInContainer = "/tmp/nvidia-mps";
    public const string HamiLibraryInContainer = "/usr/local/vgpu/libvgpu.so";
    public const string PreloadInContainer = "/etc/ld.so.preload";

    /// <summary>What the agent's preload file holds: the library's path in the container.</summary>
    public const string HamiPreloadContent = HamiLibraryInContainer + "\n";

    private const long MiB = 1024 * 1024;

    /// <summary>Whether fractions on a node of this mode are enforced (false only for <c>none</c>).</summary>
    public static bool Enforces(string enforcementMode) => enforcementMode != "none";

    /// <exception cref="ArgumentException">An unknown mode, a share of a device the node does not have, a share
    /// outside 1..1000 milli-GPU, a hami node without its library, or a fraction a mig node cannot enforce.</exception>
    public static GpuLaunch For(string enforcementMode, GpuEnforcementOptions options, IReadOnlyList<GpuShare> shares, IReadOnlyList<GpuDeviceInfo> devices)
    {
        if (!Modes.Contains(enforcementMode))
            throw new ArgumentException(
                $"GPU enforcement mode '{enforcementMode}' is not one of {string.Join(", ", Modes)}.", nameof(enforcementMode));
        if (shares.Count == 0)
            return GpuLaunch.None;

        var assigned = shares
            .GroupBy(s => s.Uuid)
            .Select(g => (Device: DeviceOf(g.Key, devices), Milli: g.Sum(s => s.Milli)))
            .OrderBy(a => a.Device.Index).ThenBy(a => a.Device.Uuid, StringComparer.Ordinal)
            .ToList();
        foreach (var (device, milli) in assigned)
        {
            if (milli is <= 0 or > 1000)
                throw new ArgumentException($"GPU {device.Uuid}: a share must be 1..1000 milli-GPU, not {milli}.", nameof(shares));
        }
        // A MIG instance is held whole (the allocation map records it at what it covers of its GPU, which is all of
        // the instance): no limits inside it, whatever the mode.
        assigned = assigned.Select(a => a.Device.IsMigInstance ? (a.Device, 1000) : a).ToList();

        var uuids = assigned.Select(a => a.Device.Uuid).ToList();
        var env = new Dictionary<string, string>
        {
            ["NVIDIA_VISIBLE_DEVICES"] = string.Join(',', uuids),
            ["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID",
        };
        var fractional = assigned.Any(a => a.Milli < 1000);
        var percent = Percent(assigned.Min(a => a.Milli));
        var memory = assigned.Select((a, ordinal) => (Ordinal: ordinal, MiBs: a.Device.MemoryBytes * a.Milli / (1000 * MiB))).ToList();
        switch (enforcementMode)
        {
            case "mps":
                env["CUDA_MPS_PIPE_DIRECTORY"] = MpsPipeInContainer;
                if (fractional)
                {
                    env["CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"] = percent;
                    env["CUDA_MPS_PINNED_DEVICE_MEM_LIMIT"] = string.Join(',', memory.Select(m => Invariant($"{m.Ordinal}={m.MiBs}M")));
                }
                return new GpuLaunch(uuids, env, [new BindMount(options.MpsPipeDirectory, MpsPipeInContainer, ReadOnly: false)], "host");

            case "hami" when fractional:
                if (string.IsNullOrWhiteSpace(options.HamiLibrary))
                    throw new ArgumentException(
                        "GPU enforcement mode 'hami' needs the HAMi-core library: set Granary:Agent:Enforcement:HamiLibrary to the host's libvgpu.so.",
                        nameof(options));
                env["CUDA_DEVICE_SM_LIMIT"] = percent;
                foreach (var ((ordinal, mibs), share) in memory.Zip(assigned))
                {
                    env[Invariant($"CUDA_DEVICE_MEMORY_LIMIT_{ordinal}")] = Invariant($"{mibs}m");
                    env[Invariant($"CUDA_DEVICE_SM_LIMIT_{ordinal}")] = Percent(share.Milli);
                }
                return new GpuLaunch(uuids, env,
                [
                    new BindMount(options.HamiLibrary, HamiLibraryInContainer, ReadOnly: true),
                    new BindMount(options.HamiPreloadFile, PreloadInContainer, ReadOnly: true),
                ], null);

            case "mig" when fractional:
                var part = assigned.First(a => a.Milli < 1000);
                throw new ArgumentException(
                    $"GPU {part.Device.Uuid} is not a MIG instance: a mig node cannot enforce {part.Milli} milli-GPU of it.", nameof(shares));

            default:
                return new GpuLaunch(uuids, env, [], null);
        }
    }

    private static GpuDeviceInfo DeviceOf(string uuid, IReadOnlyList<GpuDeviceInfo> devices)
        => devices.FirstOrDefault(d => d.Uuid == uuid)
            ?? throw new ArgumentException($"GPU {uuid} is not a device of this node.", nameof(devices));

    /// <summary>Whole percent, rounded down, at least 1.</summary>
    private static string Percent(int milli) => Math.Max(1, milli / 10).ToString(CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
