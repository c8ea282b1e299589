using System.Runtime.InteropServices;

namespace Granary.Silo.Adapters.Nvml;

/// <summary>nvmlMemory_t (v1): total, free and used framebuffer memory in bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct NvmlMemory
{
    public ulong Total;
    public ulong Free;
    public ulong Used;
}

/// <summary>nvmlUtilization_t: percent of the last sample period in which a kernel ran (Gpu) or
/// device memory was read or written (Memory).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct NvmlUtilization
{
    public uint Gpu;
    public uint Memory;
}

/// <summary>nvmlProcessInfo_t (v2/v3): a process with a context on the device. The instance ids are
/// 0xFFFFFFFF outside MIG.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct NvmlProcessInfo
{
    public uint Pid;
    public ulong UsedGpuMemory;
    public uint GpuInstanceId;
    public uint ComputeInstanceId;
}

/// <summary>nvmlDeviceAttributes_t: what a device (drivers answer for MIG instances, some for whole GPUs too)
/// is made of.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct NvmlDeviceAttributes
{
    public uint MultiprocessorCount;
    public uint SharedCopyEngineCount;
    public uint SharedDecoderCount;
    public uint SharedEncoderCount;
    public uint SharedJpegCount;
    public uint SharedOfaCount;
    public uint GpuInstanceSliceCount;
    public uint ComputeInstanceSliceCount;
    public ulong MemorySizeMb;
}

/// <summary>
/// Our own bindings to the NVIDIA Management Library. Which file "libnvidia-ml.so.1" resolves to is
/// decided by <see cref="NvmlLibrary"/> (the driver's library by default, a fake one in tests).
/// Device handles (nvmlDevice_t) are opaque pointers.
/// </summary>
internal static unsafe partial class NvmlNative
{
    public const string LibraryName = "libnvidia-ml.so.1";

    /// <summary>Name and UUID buffers: NVML_DEVICE_NAME_V2_BUFFER_SIZE and NVML_DEVICE_UUID_V2_BUFFER_SIZE are both 96.</summary>
    public const int StringBufferSize = 96;

    [LibraryImport(LibraryName, EntryPoint = "nvmlInit_v2")]
    public static partial NvmlReturn Init();

    [LibraryImport(LibraryName, EntryPoint = "nvmlShutdown")]
    public static partial NvmlReturn Shutdown();

    [LibraryImport(LibraryName, EntryPoint = "nvmlDeviceGetCount_v2")]
    public static partial NvmlReturn DeviceGetCount(out uint deviceCount);

    [LibraryImport(LibraryName, EntryPoint = "nvmlDeviceGetHandleByIndex_v2")]
    public static partial NvmlReturn DeviceGetHandleByIndex(uint index, out nint device);

    [LibraryImport(LibraryName, EntryPoint = "nvmlDeviceGetName")]
    public static partial NvmlReturn DeviceGetName(nint device, byte* name, uint length);

    [LibraryImport(LibraryName, EntryPoint = "nvmlDeviceGetUUID")]
    public static partial NvmlReturn DeviceGetUuid(nint device, byte* uuid, uint length);

    [LibraryImport(LibraryName, EntryPoint = "nvmlDeviceGetMemoryInfo")]
    public static partial NvmlReturn DeviceGetMemoryInfo(nint device, out NvmlMemory memory);

    [LibraryImport(LibraryName, EntryPoint = "nvmlDeviceGetUtilizationRates")]
    public static partial NvmlReturn DeviceGetUtilizationRates(nint device, out NvmlUtilization utilization);

    [LibraryImport(LibraryName, EntryPoint = "nvmlDeviceGetMigMode")]
    public static partial NvmlReturn DeviceGetMigMode(nint device, out uint currentMode, out uint pendingMode);

    [LibraryImport(LibraryName, EntryPoint = "nvmlDeviceGetCudaComputeCapability")]
    public static partial NvmlReturn DeviceGetCudaComputeCapability(nint device, out int major, out int minor);

    [LibraryImport(LibraryName, EntryPoint = "nvmlDeviceGetAttributes_v2")]
    public static partial NvmlReturn DeviceGetAttributes(nint device, out NvmlDeviceAttributes attributes);

    [LibraryImport(LibraryName, EntryPoint = "nvmlDeviceGetMaxMigDeviceCount")]
    public static partial NvmlReturn DeviceGetMaxMigDeviceCount(nint device, out uint count);

    [LibraryImport(LibraryName, EntryPoint = "nvmlDeviceGetMigDeviceHandleByIndex")]
    public static partial NvmlReturn DeviceGetMigDeviceHandleByIndex(nint device, uint index, out nint migDevice);

    /// <summary>Call with count 0 first: INSUFFICIENT_SIZE and the count when there are processes.</summary>
    [LibraryImport(LibraryName, EntryPoint = "nvmlDeviceGetComputeRunningProcesses_v3")]
    public static partial NvmlReturn DeviceGetComputeRunningProcesses(nint device, ref uint count, NvmlProcessInfo* infos);

    /// <summary>The compute processes on the device; the list is re-read when processes start between the calls.</summary>
    public static NvmlReturn GetProcesses(nint device, out NvmlProcessInfo[] processes)
    {
        processes = [];
        uint count = 0;
        var result = DeviceGetComputeRunningProcesses(device, ref count, null);
        for (var attempt = 0; result == NvmlReturn.InsufficientSize && attempt < 3; attempt++)
        {
            var buffer = new NvmlProcessInfo[count + 4];
            count = (uint)buffer.Length;
            fixed (NvmlProcessInfo* infos = buffer)
            {
                result = DeviceGetComputeRunningProcesses(device, ref count, infos);
            }
            if (result == NvmlReturn.Success)
                processes = buffer[..(int)count];
        }
        return result;
    }

    /// <summary>The device's product name, e.g. "NVIDIA A100-SXM4-80GB".</summary>
    public static NvmlReturn GetName(nint device, out string name)
    {
        var buffer = stackalloc byte[StringBufferSize];
        var result = DeviceGetName(device, buffer, StringBufferSize);
        name = result == NvmlReturn.Success ? ReadString(buffer) : "";
        return result;
    }

    /// <summary>The device's UUID, e.g. "GPU-5fd4a1b3-…" (the id Docker's DeviceIDs take).</summary>
    public static NvmlReturn GetUuid(nint device, out string uuid)
    {
        var buffer = stackalloc byte[StringBufferSize];
        var result = DeviceGetUuid(device, buffer, StringBufferSize);
        uuid = result == NvmlReturn.Success ? ReadString(buffer) : "";
        return result;
    }

    /// <summary>NVML NUL-terminates within the buffer; never read past it even if it did not.</summary>
    private static string ReadString(byte* buffer)
    {
        var span = new ReadOnlySpan<byte>(buffer, StringBufferSize);
        var end = span.IndexOf((byte)0);
        return System.Text.Encoding.UTF8.GetString(end < 0 ? span : span[..end]);
    }
}
