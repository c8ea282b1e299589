using System.Diagnostics.Metrics;
using Granary.Sessions;

namespace Granary.Telemetry;

/// <summary>
/// Granary's own instruments (meter "Granary"), exported at /metrics with their names as they are (Prometheus
/// style, every name starting with granary_). Recorded where the thing happens: the session grain, the agent, the
/// scheduler; the gauges read the live grains of this process through <see cref="NodeGauges"/> and
/// <see cref="SchedulerGauges"/>. Tags carry ids (node, resource group, GPU model, status), never user data.
/// </summary>
public static class GranaryMetrics
{
    public const string MeterName = "Granary";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Status changes of sessions, by the status entered (PENDING on create, TERMINATED on delete …).</summary>
    public static readonly Counter<long> SessionTransitions =
        Meter.CreateCounter<long>("granary_session_transitions_total", null, "Session status changes, by the status entered");

    // One tag per status, made once: a session enters five or six statuses, each a new string pair otherwise.
    private static readonly KeyValuePair<string, object?>[] StatusTags = [.. Enum.GetValues<SessionStatus>()
        .Select(status => new KeyValuePair<string, object?>("status", status.ToString().ToUpperInvariant()))];

    /// <summary>The "status" tag of every instrument that counts sessions by status, so that they agree.</summary>
    internal static KeyValuePair<string, object?> StatusTag(SessionStatus status) => StatusTags[(int)status];

    /// <summary>Counts a session entering <paramref name="status"/> in <see cref="SessionTransitions"/>.</summary>
    public static void SessionEntered(SessionStatus status) => SessionTransitions.Add(1, StatusTag(status));

    /// <summary>From create (PENDING) to RUNNING, per session.</summary>
    public static readonly Histogram<double> SessionStartDuration =
        Meter.CreateHistogram<double>("granary_session_start_duration_seconds", null, "Time from a session's creation to RUNNING",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900] });

    /// <summary>Creating and starting a session's container on its node (the driver's part of the start).</summary>
    public static readonly Histogram<double> ContainerStartDuration =
        Meter.CreateHistogram<double>("granary_container_start_duration_seconds", null, "Time to create and start a session's container",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });

    /// <summary>Apps of running sessions that became ready or failed their readiness probe.</summary>
    public static readonly Counter<long> AppReadiness =
        Meter.CreateCounter<long>("granary_app_readiness_total", null, "Session apps that became ready or failed, by app and outcome");

    static GranaryMetrics()
    {
        Meter.CreateObservableGauge("granary_sessions", NodeGauges.SessionsByStatus,
            null, "Live sessions by status: PENDING in a scheduler's queue, the others held on a node");
        Meter.CreateObservableGauge("granary_scheduler_queue_length", SchedulerGauges.QueueLengths,
            null, "Sessions waiting in a resource group's queue");
        Meter.CreateObservableGauge("granary_agent_heartbeat_age_seconds", SchedulerGauges.HeartbeatAges,
            null, "Seconds since a resource group's scheduler last heard from the agent");
        Meter.CreateObservableGauge("granary_node_cpu_capacity_cores", () => NodeGauges.Read(n => n.CpuCapacityCores),
            null, "CPU cores a node offers");
        Meter.CreateObservableGauge("granary_node_cpu_allocated_cores", () => NodeGauges.Read(n => n.CpuAllocatedCores),
            null, "CPU cores allocated to sessions on a node");
        Meter.CreateObservableGauge("granary_node_memory_capacity_bytes", () => NodeGauges.Read(n => n.MemoryCapacityBytes),
            null, "Memory a node offers");
        Meter.CreateObservableGauge("granary_node_memory_allocated_bytes", () => NodeGauges.Read(n => n.MemoryAllocatedBytes),
            null, "Memory allocated to sessions on a node");
        Meter.CreateObservableGauge("granary_node_gpu_capacity", NodeGauges.GpuCapacity,
            null, "GPUs of a node, by model (a MIG instance counts as the part of its GPU it covers)");
        Meter.CreateObservableGauge("granary_node_gpu_allocated", NodeGauges.GpuAllocated,
            null, "GPU devices' worth allocated to sessions on a node (fractions included), by model");
        Meter.CreateObservableGauge("granary_gpu_utilization_percent", () => GpuGauges.Sampled(m => m.UtilizationPercent),
            null, "Share of the last sample period in which a kernel ran on the GPU, as NVML (or the mock source) reports it");
        Meter.CreateObservableGauge("granary_gpu_memory_used_bytes", () => GpuGauges.Sampled(m => m.MemoryUsedBytes),
            null, "GPU memory in use at the last sample");
        Meter.CreateObservableGauge("granary_gpu_memory_total_bytes", () => GpuGauges.Devices(d => d.MemoryBytes),
            null, "GPU memory of the device (of the MIG instance for one)");
        Meter.CreateObservableGauge("granary_gpu_allocated_share", GpuGauges.AllocatedShare,
            null, "Share of the GPU (of the MIG instance for one) allocated to sessions, 0 to 1");
    }

    /// <summary>Creates the observable gauges once (the static constructor); call before exporting.</summary>
    public static void EnsureCreated() => _ = Meter;
}
