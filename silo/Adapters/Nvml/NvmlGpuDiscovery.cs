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
    private readonly ILogger<NvmlGpuDiscovery> _logger;
    private readonly Lock _gate = new();
    private Dictionary<string, nint> _handles = new(StringComparer.Ordinal);
    private bool _initialized;
    private bool _disposed;
    private string? _lastProblem;

    public NvmlGpuDiscovery(NvmlOptions options, ILogger<NvmlGpuDiscovery> logger)
    {
        _libraryPath = NvmlLibrary.Normalize(options.LibraryPath);
        _logger = logger;
    }

    public IReadOnlyList<GpuDeviceInfo> Discover() =>
        Probe().Devices
            .Select(d => new GpuDeviceInfo(d.Uuid, d.Name, (long)d.MemoryTotalBytes, d.Index))
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

            return new GpuMetrics(uuid, ReadUtilization(device)?.Gpu, (long)memory.Used, (long)memory.Total);
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
                    devices.Add(device);
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
            utilization?.Gpu, utilization?.Memory, migEnabled, computeCapability);
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
