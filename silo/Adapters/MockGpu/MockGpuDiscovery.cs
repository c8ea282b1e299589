using System.Text.Json;
using Granary.Agents;
using Granary.Agents.Gpu;
using Granary.Resources;

namespace Granary.Silo.Adapters.MockGpu;

/// <summary>
/// Made-up GPUs from a JSON file, for development and demos on machines without one (Granary:Agent:Gpus:Discovery=mock,
/// Granary:Agent:Gpus:MockFile=PATH; deploy/gpus/mock-h100.json is an example). The API shows them with source "mock".
/// A GPU with MIG instances is offered as its instances, as NVML discovery does. Its "utilization" and "memoryUsed"
/// are what every sample reports. Format:
/// <code>
/// {"gpus": [{"uuid": "GPU-…", "model": "NVIDIA H100 80GB HBM3", "memory": "80g", "sms": 132, "computeCapability": "9.0",
///            "utilization": 35, "memoryUsed": "12g",
///            "mig": [{"uuid": "MIG-…", "profile": "3g.40gb", "memory": "40g", "sms": 60}]}]}
/// </code>
/// </summary>
public sealed class MockGpuDiscovery : IGpuDiscovery
{
    private readonly IReadOnlyList<GpuDeviceInfo> _devices;
    private readonly Dictionary<string, GpuMetrics> _metrics = new(StringComparer.Ordinal);

    /// <exception cref="InvalidOperationException">The file is missing or not in the format above (the message says where).</exception>
    public MockGpuDiscovery(string path)
    {
        MockFile file;
        try
        {
            file = JsonSerializer.Deserialize<MockFile>(File.ReadAllText(path), Json)
                ?? throw new InvalidOperationException("the file is empty");
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException or InvalidOperationException)
        {
            throw new InvalidOperationException($"Mock GPU file {path}: {e.Message}", e);
        }

        var devices = new List<GpuDeviceInfo>();
        for (var index = 0; index < file.Gpus.Count; index++)
        {
            var gpu = file.Gpus[index];
            var where = $"Mock GPU file {path}: gpus[{index}]";
            if (string.IsNullOrWhiteSpace(gpu.Uuid) || string.IsNullOrWhiteSpace(gpu.Model) || string.IsNullOrWhiteSpace(gpu.Memory))
                throw new InvalidOperationException($"{where} needs uuid, model and memory.");
            var memory = ResourceParser.ParseMemory(gpu.Memory);
            var used = string.IsNullOrWhiteSpace(gpu.MemoryUsed) ? 0 : ResourceParser.ParseMemory(gpu.MemoryUsed);
            if (gpu.Mig is { Count: > 0 } instances)
            {
                foreach (var mig in instances)
                {
                    if (string.IsNullOrWhiteSpace(mig.Uuid) || string.IsNullOrWhiteSpace(mig.Profile) || string.IsNullOrWhiteSpace(mig.Memory))
                        throw new InvalidOperationException($"{where}.mig needs uuid, profile and memory in every instance.");
                    var migMemory = ResourceParser.ParseMemory(mig.Memory);
                    devices.Add(new GpuDeviceInfo(
                        mig.Uuid, gpu.Model, migMemory, index, mig.Sms, gpu.ComputeCapability, gpu.Uuid, mig.Profile, memory, gpu.Sms));
                    _metrics[mig.Uuid] = new GpuMetrics(mig.Uuid, null, 0, migMemory, []);
                }
            }
            else
            {
                devices.Add(new GpuDeviceInfo(gpu.Uuid, gpu.Model, memory, index, gpu.Sms, gpu.ComputeCapability));
                _metrics[gpu.Uuid] = new GpuMetrics(gpu.Uuid, gpu.Utilization, used, memory, []);
            }
        }
        var twice = devices.GroupBy(d => d.Uuid).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
            throw new InvalidOperationException($"Mock GPU file {path}: {twice.Key} is listed twice.");
        _devices = devices;
    }

    public IReadOnlyList<GpuDeviceInfo> Discover() => _devices;

    public GpuMetrics? ReadMetrics(string uuid) => _metrics.GetValueOrDefault(uuid);

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    private sealed record MockFile(List<MockGpu> Gpus);

    private sealed record MockGpu(string Uuid, string Model, string Memory, int Sms = 0, string? ComputeCapability = null,
        int? Utilization = null, string? MemoryUsed = null, List<MockMig>? Mig = null);

    private sealed record MockMig(string Uuid, string Profile, string Memory, int Sms = 0);
}
