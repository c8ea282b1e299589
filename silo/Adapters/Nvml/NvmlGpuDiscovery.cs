using Granary.Agents;
using Granary.Agents.Gpu;
using Microsoft.Extensions.Logging;

namespace Granary.Silo.Adapters.Nvml;

/// <summary>
/// GPU discovery through NVML. NVML is initialised on first use and shut down on Dispose. When NVML
/// cannot be used (no library, no driver, init fails) the node has zero GPUs and the reason is in
/// <see cref="NvmlProbe.Problem"/> and logged once as a warning; nothing throws.
/// </summary>
public sealed class NvmlGpuDiscovery : IGpuDiscovery, IDisposable
{
    private readonly string _libraryPath;
    private readonly string _procRoot;
    private readonly ILogger<NvmlGpuDiscovery> _logger;
    private readonly Lock _gate = new();
    private Dictionary<string, nint> _handles = new(StringComparer.Ordinal);
    private bool _initialized;
    private bool _disposed;
    private string? _lastProblem;

    public NvmlGpuDiscovery(NvmlOptions options, ILogger<NvmlGpuDiscovery> logger)
    {
        _libraryPath = NvmlLibrary.Normalize(options.LibraryPath);
        _procRoot = options.ProcRoot;
        _logger = logger;
    }

    /// <summary>The node's devices: each GPU, except that a GPU in MIG mode is its MIG instances (CUDA cannot use
    /// such a GPU whole), each a device of its own with the GPU as Parent and the GPU's index.</summary>
    public IReadOnlyList<GpuDeviceInfo> Discover() =>
        Probe().Devices
            .SelectMany(d => d.MigEnabled == true
                ? (d.MigInstances ?? []).Select(m => new GpuDeviceInfo(
                    m.Uuid, d.Name, (long)m.MemoryTotalBytes, d.Index, m.Sms ?? 0, d.ComputeCapability, d.Uuid, m.Profile,
                    (long)d.MemoryTotalBytes, d.Sms ?? 0))
                : [new GpuDeviceInfo(d.Uuid, d.Name, (long)d.MemoryTotalBytes, d.Index, d.Sms ?? 0, d.ComputeCapability)])
            .ToList();

    public GpuMetrics? ReadMetrics(string uuid)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_handles.ContainsKey(uuid))
            {
                ProbeLocked(); // a device we have not enumerated yet, or NVML not up yet
            }

            if (!_handles.TryGetValue(uuid, out var device))
            {
                return null;
            }

            if (NvmlNative.DeviceGetMemoryInfo(device, out var memory) != NvmlReturn.Success)
            {
                return null;
            }

            return new GpuMetrics(uuid, ReadUtilization(device)?.Gpu, (long)memory.Used, (long)memory.Total, ReadProcesses(device));
        }
    }

    /// <summary>Everything NVML reports about the node's devices, or why it could not.</summary>
    public NvmlProbe Probe()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return ProbeLocked();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _handles.Clear();
            if (_initialized)
            {
                _initialized = false;
                var result = NvmlNative.Shutdown();
                if (result != NvmlReturn.Success)
                {
                    _logger.LogWarning("nvmlShutdown returned {Result}", Describe(result));
                }
            }
        }
    }

    private NvmlProbe ProbeLocked()
    {
        var problem = EnsureInitialized();
        if (problem is not null)
        {
            _handles.Clear();
            return Report(new NvmlProbe(_libraryPath, problem, []));
        }

        try
        {
            var result = NvmlNative.DeviceGetCount(out var count);
            if (result != NvmlReturn.Success)
            {
                _handles.Clear();
                return Report(new NvmlProbe(_libraryPath, $"nvmlDeviceGetCount_v2 failed: {Describe(result)}", []));
            }

            var devices = new List<NvmlDevice>();
            var handles = new Dictionary<string, nint>(StringComparer.Ordinal);
            for (uint index = 0; index < count; index++)
            {
                var device = ReadDevice(index, out var handle);
                if (device is not null)
                {
                    var instances = device.MigEnabled == true ? Optional(() => ReadMigInstances(device, handle, handles)) ?? [] : [];
                    devices.Add(device with { MigInstances = instances });
                    handles[device.Uuid] = handle;
                }
            }

            _handles = handles;
            return Report(new NvmlProbe(_libraryPath, null, devices));
        }
        catch (EntryPointNotFoundException error)
        {
            _handles.Clear();
            return Report(new NvmlProbe(_libraryPath, $"NVML library {_libraryPath} lacks a function we need (driver too old?): {error.Message}", []));
        }
    }

    /// <summary>Null when the device answered its identity and memory; a device that does not is
    /// left out (and logged), the others are still reported.</summary>
    private NvmlDevice? ReadDevice(uint index, out nint handle)
    {
        var result = NvmlNative.DeviceGetHandleByIndex(index, out handle);
        if (result != NvmlReturn.Success)
        {
            _logger.LogWarning("GPU {Index} left out: nvmlDeviceGetHandleByIndex_v2 returned {Result}", index, Describe(result));
            return null;
        }

        result = NvmlNative.GetUuid(handle, out var uuid);
        if (result != NvmlReturn.Success)
        {
            _logger.LogWarning("GPU {Index} left out: nvmlDeviceGetUUID returned {Result}", index, Describe(result));
            return null;
        }

        result = NvmlNative.GetName(handle, out var name);
        if (result != NvmlReturn.Success)
        {
            _logger.LogWarning("GPU {Uuid} left out: nvmlDeviceGetName returned {Result}", uuid, Describe(result));
            return null;
        }

        result = NvmlNative.DeviceGetMemoryInfo(handle, out var memory);
        if (result != NvmlReturn.Success)
        {
            _logger.LogWarning("GPU {Uuid} left out: nvmlDeviceGetMemoryInfo returned {Result}", uuid, Describe(result));
            return null;
        }

        var utilization = ReadUtilization(handle);
        bool? migEnabled = NvmlNative.DeviceGetMigMode(handle, out var currentMode, out _) == NvmlReturn.Success
            ? currentMode == 1
            : null;
        var computeCapability = NvmlNative.DeviceGetCudaComputeCapability(handle, out var major, out var minor) == NvmlReturn.Success
            ? $"{major}.{minor}"
            : null;

        return new NvmlDevice(
            (int)index, uuid, name, memory.Total, memory.Used,
            utilization?.Gpu, utilization?.Memory, migEnabled, computeCapability, ReadSms(handle));
    }

    /// <summary>The MIG devices of a GPU in MIG mode (empty slots answer NOT_FOUND); their handles go into
    /// <paramref name="handles"/> so their metrics can be read by UUID.</summary>
    private List<NvmlMigInstance> ReadMigInstances(NvmlDevice gpu, nint handle, Dictionary<string, nint> handles)
    {
        var instances = new List<NvmlMigInstance>();
        var result = NvmlNative.DeviceGetMaxMigDeviceCount(handle, out var slots);
        if (result != NvmlReturn.Success)
        {
            _logger.LogWarning("GPU {Uuid} is in MIG mode but nvmlDeviceGetMaxMigDeviceCount returned {Result}: no MIG instances", gpu.Uuid, Describe(result));
            return instances;
        }
        for (uint slot = 0; slot < slots; slot++)
        {
            result = NvmlNative.DeviceGetMigDeviceHandleByIndex(handle, slot, out var mig);
            if (result == NvmlReturn.NotFound)
            {
                continue; // no instance in this slot
            }
            if (result != NvmlReturn.Success
                || (result = NvmlNative.GetUuid(mig, out var uuid)) != NvmlReturn.Success
                || (result = NvmlNative.GetName(mig, out var name)) != NvmlReturn.Success
                || (result = NvmlNative.DeviceGetMemoryInfo(mig, out var memory)) != NvmlReturn.Success)
            {
                _logger.LogWarning("MIG slot {Slot} of GPU {Uuid} left out: {Result}", slot, gpu.Uuid, Describe(result));
                continue;
            }
            var attributes = NvmlNative.DeviceGetAttributes(mig, out var a) == NvmlReturn.Success ? a : (NvmlDeviceAttributes?)null;
            instances.Add(new NvmlMigInstance(uuid, name, MigProfile(name, attributes), memory.Total, (int?)attributes?.MultiprocessorCount));
            handles[uuid] = mig;
        }
        return instances;
    }

    /// <summary>"NVIDIA H100 80GB HBM3 MIG 1g.10gb" → "1g.10gb"; else from the slices and memory.</summary>
    internal static string MigProfile(string name, NvmlDeviceAttributes? attributes)
    {
        var at = name.LastIndexOf("MIG ", StringComparison.Ordinal);
        if (at >= 0 && name[(at + 4)..].Trim() is { Length: > 0 } profile)
        {
            return profile;
        }
        return attributes is { } a ? $"{a.GpuInstanceSliceCount}g.{(a.MemorySizeMb + 512) / 1024}gb" : "unknown";
    }

    private static int? ReadSms(nint device) =>
        Optional(() => NvmlNative.DeviceGetAttributes(device, out var attributes) == NvmlReturn.Success && attributes.MultiprocessorCount > 0
            ? (int?)attributes.MultiprocessorCount
            : null);

    /// <summary>Null when NVML cannot list them (not supported, no permission); each with its container.</summary>
    private List<GpuProcess>? ReadProcesses(nint device) =>
        Optional(() => NvmlNative.GetProcesses(device, out var processes) == NvmlReturn.Success
            ? processes.Select(p => new GpuProcess((int)p.Pid, (long)p.UsedGpuMemory, CgroupContainer.OfProcess(_procRoot, (int)p.Pid))).ToList()
            : null);

    /// <summary>What an older driver's library lacks is unknown, not an error.</summary>
    private static T? Optional<T>(Func<T?> read)
    {
        try
        {
            return read();
        }
        catch (EntryPointNotFoundException)
        {
            return default;
        }
    }

    private static (int Gpu, int Memory)? ReadUtilization(nint device) =>
        NvmlNative.DeviceGetUtilizationRates(device, out var rates) == NvmlReturn.Success
            ? ((int)rates.Gpu, (int)rates.Memory)
            : null;

    /// <summary>Null when NVML is ready; otherwise why it is not. Retried on every probe, so a driver
    /// that loads later is picked up.</summary>
    private string? EnsureInitialized()
    {
        if (_initialized)
        {
            return null;
        }

        if (!NvmlLibrary.CanLoad(_libraryPath, out var problem))
        {
            return problem;
        }

        NvmlLibrary.Use(_libraryPath);
        NvmlReturn result;
        try
        {
            result = NvmlNative.Init();
        }
        catch (DllNotFoundException error)
        {
            return $"NVML library {_libraryPath} cannot be loaded: {error.Message}";
        }
        catch (EntryPointNotFoundException error)
        {
            return $"NVML library {_libraryPath} has no nvmlInit_v2 (driver too old?): {error.Message}";
        }

        if (result != NvmlReturn.Success)
        {
            return $"nvmlInit_v2 failed: {Describe(result)}";
        }

        _initialized = true;
        return null;
    }

    private NvmlProbe Report(NvmlProbe probe)
    {
        if (probe.Problem is not null && probe.Problem != _lastProblem)
        {
            _logger.LogWarning("No GPUs from NVML: {Problem}", probe.Problem);
        }
        else if (probe.Problem is null && _lastProblem is not null)
        {
            _logger.LogInformation("NVML is available again: {Count} GPU(s)", probe.Devices.Count);
        }

        _lastProblem = probe.Problem;
        return probe;
    }

    private static string Describe(NvmlReturn result) => $"{result} ({(int)result})";
}
