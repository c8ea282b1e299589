namespace Granary.Agents.Gpu;

/// <summary>GPUs declared in configuration (a node whose driver we do not query, or a simulated
/// node). They have no live metrics.</summary>
public sealed class ConfiguredGpuDiscovery : IGpuDiscovery
{
    private readonly IReadOnlyList<GpuDeviceInfo> _devices;

    /// <exception cref="ArgumentException">A device has no UUID or model, no memory, or a UUID or
    /// index that another device already has.</exception>
    public ConfiguredGpuDiscovery(IEnumerable<GpuDeviceInfo> devices)
    {
        var list = devices.OrderBy(d => d.Index).ToList();
        for (var i = 0; i < list.Count; i++)
        {
            var device = list[i];
            if (string.IsNullOrWhiteSpace(device.Uuid))
            {
                throw new ArgumentException($"GPU {device.Index}: Uuid is required.", nameof(devices));
            }

            if (string.IsNullOrWhiteSpace(device.Model))
            {
                throw new ArgumentException($"GPU {device.Uuid}: Model is required.", nameof(devices));
            }

            if (device.MemoryBytes <= 0)
            {
                throw new ArgumentException($"GPU {device.Uuid}: MemoryBytes must be positive.", nameof(devices));
            }

            if (list.Take(i).Any(d => d.Uuid == device.Uuid))
            {
                throw new ArgumentException($"GPU {device.Uuid}: Uuid is declared twice.", nameof(devices));
            }

            if (list.Take(i).Any(d => d.Index == device.Index))
            {
                throw new ArgumentException($"GPU {device.Uuid}: Index {device.Index} is declared twice.", nameof(devices));
            }
        }

        _devices = list;
    }

    public IReadOnlyList<GpuDeviceInfo> Discover() => _devices;

    public GpuMetrics? ReadMetrics(string uuid) => null;
}
