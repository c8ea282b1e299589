using Granary.Agents;
using Granary.Devices;
using Granary.Resources;
using Granary.Scheduling;
using static Granary.UnitTests.TestData;

namespace Granary.UnitTests;

/// <summary>Invariants over random sequences (seeded System.Random; the seed is in every failure message).</summary>
public class PropertyTests
{
    private const int Seeds = 200;

    [Fact]
    public void Allocation_map_never_over_fills_a_device_and_free_returns_to_empty()
    {
        for (var seed = 1; seed <= Seeds; seed++)
        {
            var random = new Random(seed);
            var map = new GpuAllocationMap(Gpus(random.Next(1, 9)));
            var held = new Dictionary<string, int>();
            for (var step = 0; step < 200; step++)
            {
                if (held.Count > 0 && random.Next(3) == 0)
                {
                    var victim = held.Keys.ElementAt(random.Next(held.Count));
                    Assert.True(map.Free(victim), $"seed {seed} step {step}: free {victim}");
                    held.Remove(victim);
                }
                else
                {
                    var id = $"s{step}";
                    var whole = random.Next(4) == 0;
                    var amount = whole ? random.Next(1, 4) : random.Next(1, 2500);
                    var freeBefore = map.FreeMilli;
                    var shares = whole ? map.AllocateWhole(id, amount) : map.AllocateFraction(id, amount);
                    if (shares is null)
                    {
                        Assert.Equal(freeBefore, map.FreeMilli);
                        continue;
                    }
                    var total = shares.Sum(s => s.Milli);
                    Assert.True(total == (whole ? amount * 1000 : amount), $"seed {seed} step {step}: shares {total} for {amount}");
                    Assert.True(shares.Select(s => s.Uuid).Distinct().Count() == shares.Length, $"seed {seed} step {step}: a device twice");
                    if (!whole)
                    {
                        Assert.True(shares.Max(s => s.Milli) - shares.Min(s => s.Milli) <= 1, $"seed {seed} step {step}: uneven split");
                        Assert.True(shares.Length == 1 || amount > 1000 || !CouldFitOneDevice(map, id, amount), $"seed {seed} step {step}: split although one device fits");
                    }
                    held[id] = total;
                }
                AssertConsistent(map, held, $"seed {seed} step {step}");
            }
            foreach (var id in held.Keys) Assert.True(map.Free(id), $"seed {seed}: final free {id}");
            Assert.True(map.IsEmpty, $"seed {seed}: not empty after freeing everything");
            Assert.All(map.Devices, d => Assert.Empty(map.SharesOn(d.Uuid)));
        }
    }

    // Whether, before this session's shares were recorded, one device had room for it.
    private static bool CouldFitOneDevice(GpuAllocationMap map, string id, int amount) =>
        map.Devices.Any(d => map.FreeMilliOf(d.Uuid) + map.SharesOn(d.Uuid).GetValueOrDefault(id) >= amount);

    private static void AssertConsistent(GpuAllocationMap map, Dictionary<string, int> held, string where)
    {
        foreach (var device in map.Devices)
        {
            var used = map.UsedMilliOf(device.Uuid);
            Assert.True(used is >= 0 and <= 1000, $"{where}: {device.Uuid} holds {used}");
            Assert.True(used == map.SharesOn(device.Uuid).Values.Sum(), $"{where}: {device.Uuid} shares do not add up");
        }
        Assert.True(map.UsedMilli == held.Values.Sum(), $"{where}: used {map.UsedMilli}, held {held.Values.Sum()}");
    }

    [Fact]
    public void Mig_slots_are_never_over_allocated_and_free_returns_them()
    {
        for (var seed = 1; seed <= Seeds; seed++)
        {
            var random = new Random(seed);
            var slotsOnly = random.Next(2) == 0;
            GpuDeviceInfo[] devices = [.. Gpus(random.Next(0, 3)), .. MigSlotTests.MigH100("a"), .. MigSlotTests.MigH100("b")];
            var map = new GpuAllocationMap(devices, slotsOnly);
            var held = new Dictionary<string, int>();
            for (var step = 0; step < 200; step++)
            {
                var where = $"seed {seed} step {step}";
                if (held.Count > 0 && random.Next(3) == 0)
                {
                    var victim = held.Keys.ElementAt(random.Next(held.Count));
                    Assert.True(map.Free(victim), $"{where}: free {victim}");
                    held.Remove(victim);
                }
                else
                {
                    var id = $"s{step}";
                    var freeSlots = devices.Where(d => d.IsMigInstance && map.UsedMilliOf(d.Uuid) == 0).ToList();
                    GpuShare[]? shares = random.Next(4) switch
                    {
                        0 => map.AllocateWhole(id, 1),
                        1 => map.FindProfile(random.Next(2) == 0 ? "1g.10gb" : "3g.40gb") is { } p && map.TryAllocate(id, p, out _) ? p : null,
                        _ => map.AllocateFraction(id, random.Next(1, 600)),
                    };
                    if (shares is null) continue;
                    foreach (var share in shares.Where(s => devices.Single(d => d.Uuid == s.Uuid).IsMigInstance))
                    {
                        Assert.True(freeSlots.Any(d => d.Uuid == share.Uuid), $"{where}: slot {share.Uuid} was not free");
                        Assert.True(share.Milli == map.CapacityMilliOf(share.Uuid), $"{where}: slot {share.Uuid} held in part");
                    }
                    Assert.True(!slotsOnly || shares.All(s => s.Milli == 1000 || devices.Single(d => d.Uuid == s.Uuid).IsMigInstance),
                        $"{where}: a fraction of a whole device on a mig node");
                    held[id] = shares.Sum(s => s.Milli);
                }
                foreach (var slot in devices.Where(d => d.IsMigInstance))
                {
                    var holders = map.SharesOn(slot.Uuid);
                    Assert.True(holders.Count <= 1, $"{where}: {slot.Uuid} held by {holders.Count} sessions");
                    Assert.True(map.UsedMilliOf(slot.Uuid) is var used && (used == 0 || used == map.CapacityMilliOf(slot.Uuid)),
                        $"{where}: {slot.Uuid} holds {map.UsedMilliOf(slot.Uuid)}");
                }
                Assert.True(map.UsedMilli == held.Values.Sum(), $"{where}: used {map.UsedMilli}, held {held.Values.Sum()}");
                Assert.True(map.UsedMilli <= map.TotalMilli, $"{where}: over the total");
            }
            foreach (var id in held.Keys) Assert.True(map.Free(id), $"seed {seed}: final free {id}");
            Assert.True(map.IsEmpty, $"seed {seed}: not empty after freeing everything");
        }
    }

    [Fact]
    public void Node_never_exceeds_cpu_memory_or_gpu_and_release_returns_to_empty()
    {
        for (var seed = 1; seed <= Seeds; seed++)
        {
            var random = new Random(seed);
            var node = Node("n", random.Next(1, 33), random.Next(1, 129), gpus: random.Next(0, 9), fgpuPerGpu: random.Next(1, 6));
            var held = new List<string>();
            for (var step = 0; step < 150; step++)
            {
                if (held.Count > 0 && random.Next(3) == 0)
                {
                    var victim = held[random.Next(held.Count)];
                    node.Release(victim);
                    held.Remove(victim);
                }
                else
                {
                    var request = RandomRequest(random);
                    var shares = node.FindGpuShares(request);
                    // Sometimes ask for a random (possibly impossible) share instead, to exercise the strict check.
                    if (random.Next(5) == 0 && node.Gpus.Devices.Count > 0)
                        shares = [new GpuShare(node.Gpus.Devices[random.Next(node.Gpus.Devices.Count)].Uuid, random.Next(1, 1001))];
                    if (shares is null) continue;
                    var placement = new Placement($"s{step}", "n", request.CpuMilli, request.MemoryBytes, shares);
                    var fits = node.TryApply(placement, out _);
                    if (fits) held.Add(placement.SessionId);
                }
                Assert.True(node.FreeCpuMilli >= 0, $"seed {seed} step {step}: cpu over");
                Assert.True(node.FreeMemoryBytes >= 0, $"seed {seed} step {step}: memory over");
                Assert.True(node.FreeCpuMilli == node.Capacity.CpuMilli - node.Allocations.Sum(a => a.CpuMilli), $"seed {seed} step {step}: cpu books");
                Assert.All(node.Gpus.Devices, d => Assert.True(node.Gpus.UsedMilliOf(d.Uuid) <= 1000, $"seed {seed} step {step}: {d.Uuid} over"));
            }
            foreach (var id in held) node.Release(id);
            Assert.True(node.IsEmpty && node.Gpus.IsEmpty, $"seed {seed}: not empty");
            Assert.True(node.FreeCpuMilli == node.Capacity.CpuMilli && node.FreeMemoryBytes == node.Capacity.MemoryBytes, $"seed {seed}: not all freed");
        }
    }

    [Fact]
    public void Plans_never_over_allocate_and_leave_nothing_placeable_pending()
    {
        string[] models = ["V100M16", "V100M32", "T4"];
        for (var seed = 1; seed <= Seeds; seed++)
        {
            var random = new Random(seed);
            var cluster = new ClusterState();
            var nodeCount = random.Next(1, 12);
            for (var i = 0; i < nodeCount; i++)
                cluster.Upsert(Node($"n{i:00}", random.Next(2, 65), random.Next(4, 257), gpus: random.Next(0, 9),
                    model: models[random.Next(models.Length)], fgpuPerGpu: random.Next(1, 6)));
            var policy = new SchedulingPolicy(random.Next(2) == 0 ? "bestfit" : "worstfit", "fifo", MaxSkips: random.Next(0, 6));
            var queue = new List<QueuedRequest>();
            var running = new List<Placement>();
            var next = 0;

            for (var round = 0; round < 30; round++)
            {
                for (var i = random.Next(0, 8); i > 0; i--, next++)
                    queue.Add(Queued($"s{next}", RandomRequest(random, models), next));

                var before = Describe(cluster);
                var plan = Scheduler.Plan(queue, cluster, policy);
                Assert.True(before == Describe(cluster), $"seed {seed} round {round}: Plan modified the cluster");

                foreach (var placement in plan.Placements)
                {
                    var request = queue.Single(q => q.Session.SessionId == placement.SessionId).Session.Resources;
                    var node = cluster.Find(placement.AgentId)!;
                    Assert.True(placement.Gpus.Sum(g => g.Milli) == node.GpuMilliFor(request), $"seed {seed} round {round}: {placement.SessionId} GPU share sum");
                    if (request.GpuModels is { Length: > 0 } wanted)
                        Assert.True(placement.Gpus.All(g => node.Gpus.Devices.Single(d => d.Uuid == g.Uuid).Model.Equals(wanted[0], StringComparison.OrdinalIgnoreCase)),
                            $"seed {seed} round {round}: {placement.SessionId} on a GPU of the wrong model");
                    cluster.Apply(placement); // throws when the plan double books or over-allocates
                    running.Add(placement);
                }
                // Work conserving: a request left pending for lack of room (not queued behind a blocked one) fits nowhere now.
                foreach (var (id, reason) in plan.PendingReasons.Where(r => !r.Value.StartsWith("waiting behind")))
                {
                    var request = queue.Single(q => q.Session.SessionId == id).Session.Resources;
                    var fitsOn = cluster.Nodes.FirstOrDefault(n => n.Schedulable && GpuModelFilter.Instance.Admits(n, request) && n.CanFit(request));
                    Assert.True(fitsOn is null, $"seed {seed} round {round}: {id} left pending ({reason}) but fits {fitsOn?.AgentId}");
                }

                var placed = plan.Placements.Select(p => p.SessionId).ToHashSet();
                Assert.True(queue.Count - placed.Count == plan.PendingReasons.Count, $"seed {seed} round {round}: a pending request without a reason");
                Assert.All(plan.Skips, s => Assert.True(s.Value <= Math.Max(policy.MaxSkips, 0) || queue.Single(q => q.Session.SessionId == s.Key).Skips > policy.MaxSkips,
                    $"seed {seed} round {round}: {s.Key} skipped {s.Value} times"));
                queue = Remaining(queue, plan);

                foreach (var node in cluster.Nodes)
                {
                    Assert.True(node.FreeCpuMilli >= 0 && node.FreeMemoryBytes >= 0, $"seed {seed} round {round}: {node.AgentId} over");
                    Assert.All(node.Gpus.Devices, d => Assert.True(node.Gpus.UsedMilliOf(d.Uuid) <= 1000, $"seed {seed} round {round}: {d.Uuid} over"));
                }

                for (var i = random.Next(0, running.Count + 1); i > 0; i--)
                {
                    var done = running[random.Next(running.Count)];
                    cluster.Release(done.AgentId, done.SessionId);
                    running.Remove(done);
                }
            }
            foreach (var done in running) cluster.Release(done.AgentId, done.SessionId);
            Assert.All(cluster.Nodes, n => Assert.True(n.IsEmpty && n.Gpus.IsEmpty && n.FreeCpuMilli == n.Capacity.CpuMilli, $"seed {seed}: {n.AgentId} not empty"));
        }
    }

    private static ResourceRequest RandomRequest(Random random, string[]? models = null)
    {
        var cpu = random.Next(1, 16_000);
        var memory = (long)random.Next(1, 64) * GiB / 2;
        string[]? wanted = models is not null && random.Next(4) == 0 ? [models[random.Next(models.Length)]] : null;
        return random.Next(3) switch
        {
            0 => new ResourceRequest(cpu, memory),
            1 => new ResourceRequest(cpu, memory, Gpus: random.Next(1, 5), GpuModels: wanted),
            _ => new ResourceRequest(cpu, memory, FgpuMilli: random.Next(1, 3000), GpuModels: wanted),
        };
    }
}
