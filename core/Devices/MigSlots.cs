using System.Globalization;
using System.Text.RegularExpressions;
using Granary.Agents;

namespace Granary.Devices;

/// <summary>
/// MIG instances as scheduling slots: an instance is held whole by one session, and its size is the largest fraction
/// of its GPU it covers in both memory and SMs (<see cref="CoverMilli"/>). A fraction of a GPU maps to the smallest
/// free instance that covers it; a request may instead name a profile (<see cref="IsProfileName"/>), charged against
/// fGPU quotas as its compute slices over 7 (<see cref="FgpuMilliOf"/>).
/// </summary>
public static partial class MigSlots
{
    // NVIDIA's profile names: compute slices (1, 2, 3, 4 or 7 of 7) "g.", memory "gb", an optional media-engine or
    // graphics suffix: 1g.10gb, 1g.10gb+me, 3g.40gb, 7g.141gb, 1g.24gb+gfx.
    [GeneratedRegex(@"^(?<slices>[12347])g\.[1-9][0-9]{0,3}gb(\+me|-me|\+gfx|\+me\.all)?$", RegexOptions.CultureInvariant)]
    private static partial Regex ProfilePattern();

    /// <summary>Whether the name is a MIG profile name as NVIDIA writes them (whether any node offers it is the
    /// scheduler's question, answered with a pending reason).</summary>
    public static bool IsProfileName(string? profile) => profile is not null && ProfilePattern().IsMatch(profile);

    /// <summary>The GPU compute slices a profile takes of the 7 a GPU has ("3g.40gb" → 3).</summary>
    public static int Slices(string profile)
    {
        var match = ProfilePattern().Match(profile ?? "");
        if (!match.Success) throw new ArgumentException($"'{profile}' is not a MIG profile name.", nameof(profile));
        return int.Parse(match.Groups["slices"].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>The milli-GPU of a fraction request that names the profile: slices / 7, rounded up.</summary>
    public static long FgpuMilliOf(string profile) => (Slices(profile) * 1000L + 6) / 7;

    /// <summary>What the device holds in the allocation map: 1000 milli-GPU for a whole device, what it covers for a
    /// MIG slot (at least 1, so a slot of unknown size is still held and freed like the others).</summary>
    public static int SlotMilli(GpuDeviceInfo device) =>
        device.IsMigInstance ? Math.Max(1, CoverMilli(device)) : GpuAllocationMap.DeviceMilli;

    /// <summary>
    /// How much of its GPU a MIG instance covers, in milli-GPU: 1000 × min(memory / GPU memory, SMs / GPU SMs),
    /// rounded down (an H100 80GB's 1g.10gb with 16 of 132 SMs covers 121). The SM term is left out when either SM
    /// count is unknown; an instance whose GPU memory is unknown covers 0 (reachable only by its profile). A device
    /// that is not a MIG instance covers the whole device.
    /// </summary>
    public static int CoverMilli(GpuDeviceInfo device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!device.IsMigInstance) return GpuAllocationMap.DeviceMilli;
        if (device.ParentMemoryBytes <= 0) return 0;
        var cover = Math.Min(1000.0, 1000.0 * device.MemoryBytes / device.ParentMemoryBytes);
        if (device.Sms > 0 && device.ParentSms > 0)
            cover = Math.Min(cover, 1000.0 * device.Sms / device.ParentSms);
        return (int)Math.Floor(cover);
    }
}
