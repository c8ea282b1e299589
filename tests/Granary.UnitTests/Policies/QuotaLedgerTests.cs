using System.Collections.Immutable;
using Granary.Policies;
using Granary.Resources;

namespace Granary.UnitTests.Policies;

public sealed class QuotaLedgerTests
{
    private static readonly ResourceRequest OneCore = new(1000, 1L << 30);

    private static QuotaRequest Request(string id, ResourcePolicy policy, ResourceRequest? resources = null, string group = "default", string image = "python:3.11")
        => new(id, resources ?? OneCore, group, image, policy);

    private static ImmutableDictionary<string, QuotaHold> Held(int count, bool started = true)
        => Enumerable.Range(0, count).ToImmutableDictionary(i => $"held-{i}", _ => new QuotaHold(OneCore, started));

    [Fact]
    public void No_limits_admit_anything()
    {
        var admission = QuotaLedger.Decide(Held(100), [], Request("s", ResourcePolicy.Unlimited));
        Assert.Equal(AdmissionOutcome.Admitted, admission.Outcome);
    }

    [Theory]
    [InlineData(OverLimit.Refuse, AdmissionOutcome.Refused)]
    [InlineData(OverLimit.Queue, AdmissionOutcome.Queued)]
    public void Concurrency_over_the_limit_is_refused_or_queued_naming_the_limit(OverLimit overLimit, AdmissionOutcome expected)
    {
        var policy = new ResourcePolicy("p", MaxConcurrentSessions: 3, OverLimit: overLimit);
        Assert.Equal(AdmissionOutcome.Admitted, QuotaLedger.Decide(Held(2), [], Request("s", policy)).Outcome);

        var over = QuotaLedger.Decide(Held(3), [], Request("s", policy));

        Assert.Equal(expected, over.Outcome);
        Assert.Equal("maxConcurrentSessions", over.Limit);
        Assert.Contains("maxConcurrentSessions", over.Reason);
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData("memory")]
    [InlineData("gpu")]
    [InlineData("fgpu")]
    public void Totals_held_at_once_are_limits(string limit)
    {
        var policy = limit switch
        {
            "cpu" => new ResourcePolicy("p", CpuMilli: 2500),
            "memory" => new ResourcePolicy("p", MemoryBytes: 5L << 29),
            "gpu" => new ResourcePolicy("p", Gpus: 1),
            _ => new ResourcePolicy("p", FgpuMilli: 1500),
        };
        var each = limit switch
        {
            "gpu" => OneCore with { Gpus = 1 },
            "fgpu" => OneCore with { FgpuMilli = 1000 },
            _ => OneCore,
        };
        var held = ImmutableDictionary<string, QuotaHold>.Empty.Add("a", new QuotaHold(each, true));
        if (limit is "cpu" or "memory")
        {
            held = held.Add("b", new QuotaHold(each, true));
        }

        var admission = QuotaLedger.Decide(held, [], Request("s", policy, each));

        Assert.Equal((AdmissionOutcome.Refused, limit), (admission.Outcome, admission.Limit));
    }

    [Fact]
    public void A_session_that_alone_exceeds_a_total_is_refused_even_when_the_policy_queues()
    {
        var policy = new ResourcePolicy("p", CpuMilli: 500, OverLimit: OverLimit.Queue);
        var admission = QuotaLedger.Decide(Held(0), [], Request("s", policy));
        Assert.Equal((AdmissionOutcome.Refused, "cpu"), (admission.Outcome, admission.Limit));
    }

    [Fact]
    public void Groups_and_images_outside_the_policy_are_refused()
    {
        var policy = new ResourcePolicy("p", ResourceGroups: ["default"], Images: ["python:3.11"], OverLimit: OverLimit.Queue);
        Assert.Equal("resourceGroups", QuotaLedger.Decide(Held(0), [], Request("s", policy, group: "gpu")).Limit);
        Assert.Equal("images", QuotaLedger.Decide(Held(0), [], Request("s", policy, image: "other:1")).Limit);
        Assert.Equal(AdmissionOutcome.Admitted, QuotaLedger.Decide(Held(0), [], Request("s", policy)).Outcome);
    }

    [Fact]
    public void Pending_sessions_count_those_admitted_not_yet_running_and_those_queued()
    {
        var policy = new ResourcePolicy("p", MaxConcurrentSessions: 1, MaxPendingSessions: 2, OverLimit: OverLimit.Queue);
        var held = Held(1, started: false);
        var queue = ImmutableList.Create(Request("q", policy));

        var admission = QuotaLedger.Decide(held, queue, Request("s", policy));

        Assert.Equal((AdmissionOutcome.Refused, "maxPendingSessions"), (admission.Outcome, admission.Limit));
    }

    [Fact]
    public void A_new_session_queues_behind_queued_ones_even_when_it_would_fit()
    {
        var policy = new ResourcePolicy("p", CpuMilli: 2000, OverLimit: OverLimit.Queue);
        var big = Request("big", policy, OneCore with { CpuMilli = 2000 });
        var held = ImmutableDictionary<string, QuotaHold>.Empty.Add("a", new QuotaHold(OneCore, true));

        var small = QuotaLedger.Decide(held, [big], Request("small", policy));

        Assert.Equal(AdmissionOutcome.Queued, small.Outcome);
    }
}
