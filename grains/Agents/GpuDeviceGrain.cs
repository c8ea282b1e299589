using Orleans.Placement;

namespace Granary.Agents;

/// <summary>One GPU's share map (session → milli-GPU) and metrics, kept up to date by its agent, which activates
/// it beside itself.</summary>
[PreferLocalPlacement]
public sealed class GpuDeviceGrain(
    [PersistentState("gpuDevice", GranaryStorage.Name)] IPersistentState<GpuDeviceState> state) : Grain, IGpuDeviceGrain
{
    public async Task Update(GpuDeviceView view)
    {
        state.State.View = view;
        await state.WriteStateAsync();
    }

    public Task<GpuDeviceView?> Get() => Task.FromResult(state.State.View);
}

[GenerateSerializer]
public sealed class GpuDeviceState
{
    [Id(0)] public GpuDeviceView? View { get; set; }
}
