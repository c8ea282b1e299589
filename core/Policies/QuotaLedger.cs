using System.Collections.Immutable;
using Granary.Resources;

namespace Granary.Policies;

/// <summary>
/// The one place that decides whether a session fits its owner's resource policy: pure, over what the owner holds
/// and what waits. Groups and images the policy does not allow, and a session that alone exceeds a total, are
/// refused whatever the policy's OverLimit (waiting would not help); the other limits refuse or queue.
/// A session queues behind those already queued (first come, first admitted), so a big one is not starved.
/// </summary>
public static class QuotaLedger
{
    public static Admission Decide(ImmutableDictionary<string, QuotaHold> held, ImmutableList<QuotaRequest> queue, QuotaRequest request)
    {
        var policy = request.Policy;
        if (policy.ResourceGroups is { } groups && !groups.Contains(request.ResourceGroup, StringComparer.Ordinal))
        {
            return Refuse("resourceGroups", $"the resource policy \"{policy.Name}\" allows the resource groups {string.Join(", ", groups)}, not \"{request.ResourceGroup}\"");
        }
        if (policy.Images is { } images && !images.Contains(request.Image, StringComparer.Ordinal))
        {
            return Refuse("images", $"the resource policy \"{policy.Name}\" allows the images {string.Join(", ", images)}, not \"{request.Image}\"");
        }
        if (ExceededTotal(policy, Empty, request.Resources) is { } alone)
        {
            return Refuse(alone, $"the session alone asks for more than the resource policy \"{policy.Name}\" allows in total ({alone})");
        }
        // Counted only under a limit: an unlimited policy (the default) decides without walking the user's sessions.
        if (policy.MaxPendingSessions is { } maxPending && held.Values.Count(h => !h.Started) + queue.Count is var pending && pending + 1 > maxPending)
        {
            return Refuse("maxPendingSessions", $"{pending} of your sessions are not running yet; the resource policy \"{policy.Name}\" allows {maxPending} (maxPendingSessions)");
        }
        var limit = Exceeded(held, request);
        if (limit is null && (queue.IsEmpty || policy.OverLimit == OverLimit.Refuse))
        {
            return Admission.Admitted;
        }
        if (policy.OverLimit == OverLimit.Queue)
        {
            return limit is null
                ? new Admission(AdmissionOutcome.Queued, Exceeded(held, queue[0]) ?? "maxConcurrentSessions", "waiting behind your earlier sessions queued by the resource policy")
                : new Admission(AdmissionOutcome.Queued, limit, $"waiting for the resource policy \"{policy.Name}\": {Describe(limit)}");
        }
        return Refuse(limit!, $"over the resource policy \"{policy.Name}\": {Describe(limit!)}");
    }

    private static string Describe(string limit) => limit switch
    {
        "maxConcurrentSessions" => "as many sessions as it allows at once are live (maxConcurrentSessions)",
        _ => $"the total {limit} of your live sessions would exceed what it allows ({limit})",
    };

    /// <summary>The policy limit the request would exceed on top of what is held (null: it fits).</summary>
    public static string? Exceeded(ImmutableDictionary<string, QuotaHold> held, QuotaRequest request)
    {
        var policy = request.Policy;
        if (policy.MaxConcurrentSessions is { } max && held.Count + 1 > max)
        {
            return "maxConcurrentSessions";
        }
        var limitsTotals = policy.CpuMilli is not null || policy.MemoryBytes is not null || policy.Gpus is not null || policy.FgpuMilli is not null;
        return limitsTotals ? ExceededTotal(policy, Total(held.Values.Select(h => h.Resources)), request.Resources) : null;
    }

    public static ResourceRequest Total(IEnumerable<ResourceRequest> requests)
    {
        long cpu = 0, memory = 0, fgpu = 0;
        var gpus = 0;
        foreach (var r in requests)
        {
            cpu += r.CpuMilli;
            memory += r.MemoryBytes;
            gpus += r.Gpus;
            fgpu += r.FgpuMilli;
        }
        return new ResourceRequest(cpu, memory, gpus, fgpu);
    }

    private static readonly ResourceRequest Empty = new(0, 0);

    private static string? ExceededTotal(ResourcePolicy policy, ResourceRequest held, ResourceRequest asked) =>
        policy.CpuMilli is { } cpu && held.CpuMilli + asked.CpuMilli > cpu ? "cpu"
        : policy.MemoryBytes is { } memory && held.MemoryBytes + asked.MemoryBytes > memory ? "memory"
        : policy.Gpus is { } gpus && held.Gpus + asked.Gpus > gpus ? "gpu"
        : policy.FgpuMilli is { } fgpu && held.FgpuMilli + asked.FgpuMilli > fgpu ? "fgpu"
        : null;

    private static Admission Refuse(string limit, string reason) => new(AdmissionOutcome.Refused, limit, reason);
}
