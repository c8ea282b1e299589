using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>Best fit as the FGD paper's simulator scores it: 1 − (½ CPU left / 128 cores + ½ GPU left / 8 GPUs),
/// optionally truncated to <c>resolution</c> steps (the simulator uses 100; 0 = exact).</summary>
public sealed class CpuGpuFitScorer(double resolution) : INodeScorer
{
    private const double MaxCpuMilli = 128_000, MaxGpuMilli = 8_000;

    public double Score(NodeState node, ResourceRequest request)
    {
        var left = 0.5 * (node.FreeCpuMilli - request.CpuMilli) / MaxCpuMilli
                 + 0.5 * (node.FreeGpuMilli - node.GpuMilliFor(request)) / MaxGpuMilli;
        return resolution > 0 ? Math.Floor(resolution * (1 - left)) : 1 - left;
    }
}
