using Granary.Sessions;

namespace Granary.ClusterTests;

[Collection(ClusterCollection.Name)]
public sealed class ConcurrencyTests(ClusterFixture fixture)
{
    private static readonly string[] BurstNodes = ["burst-a", "burst-b"];

    [Fact]
    public async Task Two_hundred_concurrent_creates_never_over_allocate_and_all_run_as_earlier_ones_are_deleted()
    {
        // Two nodes of 8 cores and 2 GPUs: at most 6 sessions each (fgpu 0.3 ⇒ 3 per GPU; whole-GPU ones fewer).
        var specs = Enumerable.Range(0, 200).Select(i => i % 5 == 0
            ? Sessions.Spec("burst", cpuMilli: 1000, memoryBytes: 2 * Sessions.GiB, gpus: 1)
            : Sessions.Spec("burst", cpuMilli: 1000, memoryBytes: 2 * Sessions.GiB, fgpuMilli: 300));
        var sessions = await Task.WhenAll(specs.Select(spec => Sessions.Create(fixture.Client, spec)));

        var ran = new HashSet<string>();
        var firstRound = true;
        var until = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (ran.Count < sessions.Length)
        {
            Assert.True(DateTime.UtcNow < until, $"only {ran.Count} of {sessions.Length} sessions ran in time");
            var views = await Eventually.Value(() => Task.WhenAll(sessions.Select(async s => (await s.Get())!)), Settled,
                "every session is running, waiting with a reason, or ended");

            await AssertNoAgentOverAllocated();
            var running = views.Where(v => v.Status == SessionStatus.Running).ToArray();
            var pending = views.Where(v => v.Status == SessionStatus.Pending).ToArray();
            Assert.InRange(running.Length, 1, 12);
            if (firstRound)
            {
                Assert.Equal(sessions.Length, running.Length + pending.Length);
                Assert.All(pending, p => Assert.False(string.IsNullOrEmpty(p.StatusReason)));
                firstRound = false;
            }

            ran.UnionWith(running.Select(r => r.Id));
            await Task.WhenAll(running.Select(r => fixture.Client.GetGrain<ISessionGrain>(r.Id).Terminate(force: false)));
        }

        Assert.All(await Task.WhenAll(sessions.Select(async s => (await s.Get())!)), v => Assert.Equal(SessionStatus.Terminated, v.Status));
        foreach (var node in BurstNodes)
        {
            Assert.Empty((await fixture.Agent(node).GetSnapshot()).Allocations);
        }
        Assert.Empty((await fixture.Scheduler("burst").GetStatus()).Pending);
    }

    private static bool Settled(SessionView[] views) =>
        views.All(v => v.Status is SessionStatus.Running or SessionStatus.Pending or SessionStatus.Terminated)
        && views.Where(v => v.Status == SessionStatus.Pending).All(v => v.StatusReason != "waiting for the scheduler")
        && views.Any(v => v.Status == SessionStatus.Running);

    private async Task AssertNoAgentOverAllocated()
    {
        foreach (var node in BurstNodes)
        {
            var snapshot = await fixture.Agent(node).GetSnapshot();
            Assert.True(snapshot.Allocations.Sum(a => a.CpuMilli) <= snapshot.Capacity.CpuMilli, $"{node} over its CPU");
            Assert.True(snapshot.Allocations.Sum(a => a.MemoryBytes) <= snapshot.Capacity.MemoryBytes, $"{node} over its memory");
            foreach (var device in snapshot.Allocations.SelectMany(a => a.Gpus).GroupBy(g => g.Uuid))
            {
                Assert.True(device.Sum(g => g.Milli) <= 1000, $"GPU {device.Key} on {node} over 1000 milli-GPU");
                Assert.Contains(snapshot.Capacity.Gpus, g => g.Uuid == device.Key);
            }
        }
    }
}
