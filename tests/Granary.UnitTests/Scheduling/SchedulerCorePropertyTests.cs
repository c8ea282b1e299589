using Granary.Agents;
using Granary.Resources;
using Granary.Scheduling;
using static Granary.UnitTests.TestData;

namespace Granary.UnitTests.Scheduling;

/// <summary>The scheduler core over random runs of every placement policy (seeded; the seed is in every message):
/// arrivals, departures, late and reordered snapshots, ticks. Whatever it is told, it never over-allocates its
/// view, never has one session held twice, and, once every agent has reported its truth, a placement it makes is
/// one the agent accepts and nothing placeable is left waiting.</summary>
public sealed class SchedulerCorePropertyTests
{
    private const int Seeds = 8;

    /// <summary>Every named policy and the planner, the grains' default, whose plans are solved as the runs go.</summary>
    public static TheoryData<string> Policies() => new([.. PlacementPolicy.Names, PlacementPolicy.PlanName]);

    [Theory]
    [MemberData(nameof(Policies))]
    public void Never_over_allocates_never_places_twice_and_leaves_nothing_placeable_pending(string policy)
    {
        string[] models = ["V100M16", "V100M32"];
        var followed = 0;   // plan: steps placing by a plan, not by the default
        for (var seed = 1; seed <= Seeds; seed++)
        {
            var random = new Random(seed);
            var harness = new SchedulerHarness(policy);
            for (var i = random.Next(1, 6); i > 0; i--)
                harness.AddAgent($"n{i}", Capacity(random.Next(4, 33), random.Next(16, 129), random.Next(0, 5),
                    models[random.Next(models.Length)], fgpuPerGpu: random.Next(1, 6), prefix: $"n{i}-gpu"));
            var late = new List<AgentSnapshot>();
            var next = 0;
            var solves = 0;

            for (var step = 0; step < 40; step++)
            {
                var where = $"{policy} seed {seed} step {step}";
                for (var i = random.Next(0, 5); i > 0; i--, next++)
                    harness.Enqueue($"s{next}", RandomRequest(random));
                foreach (var done in harness.Running.Keys.Where(_ => random.Next(4) == 0).ToArray())
                {
                    harness.Finish(done);
                    harness.Dequeue(done);
                }
                // Some agents report now, some later (and out of order).
                foreach (var agent in harness.Agents.Values)
                {
                    var snapshot = agent.Snapshot(harness.Now);
                    if (random.Next(3) == 0) late.Add(snapshot); else harness.Report(snapshot);
                }
                if (random.Next(4) == 0 && late.Count > 0)
                {
                    foreach (var snapshot in late.OrderBy(_ => random.Next())) harness.Report(snapshot);
                    late.Clear();
                }
                harness.Tick(TimeSpan.FromSeconds(random.Next(1, 20)));
                if (harness.Replan()) solves++;
                if (harness.Core.Status().Plan?.StartsWith("following", StringComparison.Ordinal) == true) followed++;
                AssertConsistent(harness, where);
            }
            if (policy == PlacementPolicy.PlanName) Assert.True(solves > 0, $"{policy} seed {seed}: the planner never solved");

            // Every agent reports its truth, in order: from now on the view is right, so nothing is refused, and
            // whatever still waits fits nowhere (past the plan's hold, which gives way to a share that waited).
            late.Clear();
            harness.Clock.Advance(PlanHold.ShareWait);
            harness.ReportAll();
            var refusals = harness.Refusals.Count;
            harness.Plan();
            harness.ReportAll();
            harness.Plan();
            Assert.True(refusals == harness.Refusals.Count, $"{policy} seed {seed}: refused on a fresh view: {harness.Refusals.LastOrDefault()}");
            AssertConsistent(harness, $"{policy} seed {seed} end");
            foreach (var queued in harness.Core.State.Queue.Where(q => q.Reason?.StartsWith("waiting behind", StringComparison.Ordinal) != true))
            {
                var request = queued.Session.Resources;
                var fits = harness.Agents.Values.FirstOrDefault(a => GpuModelFilter.Instance.Admits(a.Truth, request) && a.Truth.CanFit(request)
                    && (policy != PlacementPolicy.PlanName || GpuFilter.SingleDevice.Admits(a.Truth, request)));   // its shares: on one device
                Assert.True(fits is null, $"{policy} seed {seed}: {queued.Session.SessionId} waits ({queued.Reason}) but fits {fits?.Id}");
            }
        }
        if (policy == PlacementPolicy.PlanName) Assert.True(followed > 0, "no plan won its trial in any run: the plan's placements went untested");
    }

    private static void AssertConsistent(SchedulerHarness harness, string where)
    {
        foreach (var node in harness.Core.Cluster.Nodes)
        {
            Assert.True(node.FreeCpuMilli >= 0 && node.FreeMemoryBytes >= 0, $"{where}: view of {node.AgentId} over");
            Assert.All(node.Gpus.Devices, d => Assert.True(node.Gpus.UsedMilliOf(d.Uuid) <= 1000, $"{where}: view of {d.Uuid} over"));
        }
        var holders = harness.Agents.Values.SelectMany(a => a.Truth.Allocations.Select(x => (x.SessionId, a.Id))).ToList();
        var twice = holders.GroupBy(h => h.SessionId).FirstOrDefault(g => g.Count() > 1);
        Assert.True(twice is null, $"{where}: {twice?.Key} held by {string.Join(", ", twice?.Select(t => t.Id) ?? [])}");
        var queued = harness.Core.State.Queue.Select(q => q.Session.SessionId).ToHashSet();
        Assert.True(!queued.Overlaps(harness.Running.Keys), $"{where}: a running session is still queued");
    }

    private static ResourceRequest RandomRequest(Random random)
    {
        var cpu = random.Next(250, 8_000);
        var memory = (long)random.Next(1, 32) * GiB / 2;
        return random.Next(3) switch
        {
            0 => new ResourceRequest(cpu, memory),
            1 => new ResourceRequest(cpu, memory, Gpus: random.Next(1, 3)),
            _ => new ResourceRequest(cpu, memory, FgpuMilli: random.Next(1, 2500)),
        };
    }
}
