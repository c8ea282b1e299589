namespace Granary.Agents;

/// <summary>One physical GPU (key: GPU UUID), placed beside its agent.</summary>
public interface IGpuDeviceGrain : IGrainWithStringKey
{
    Task Update(GpuDeviceView view);

    Task<GpuDeviceView?> Get();
}
