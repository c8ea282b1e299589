using Granary.Agents;
using Granary.Devices;
using Granary.Resources;

namespace Granary.UnitTests;

public class GpuAllocationMapTests
{
    private static GpuAllocationMap Map(int devices, string model = "V100M32") => new(TestData.Gpus(devices, model));

    private static string Show(IEnumerable<GpuShare>? shares) =>
        shares is null ? "none" : string.Join(" ", shares.Select(s => $"{s.Uuid}={s.Milli}"));

    [Fact]
    public void Whole_gpus_take_fully_free_devices_lowest_index_first()
    {
        var map = Map(4);
        map.AllocateFraction("small", 100); // best fit onto gpu-0 (all equal: lowest index)

        var shares = map.AllocateWhole("big", 2);

        Assert.Equal("gpu-1=1000 gpu-2=1000", Show(shares));
        Assert.Equal(1, map.CountFullyFree());
        Assert.Null(map.FindWhole(2));
    }

    [Fact]
    public void Fraction_goes_to_the_device_with_least_free_share_that_still_fits()
    {
        var map = Map(3);
        Assert.NotNull(map.TryAllocateExact("a", ("gpu-0", 300)));
        Assert.NotNull(map.TryAllocateExact("b", ("gpu-1", 600)));

        Assert.Equal("gpu-1=400", Show(map.FindFraction(400)));  // gpu-1 has 400 free: tightest
        Assert.Equal("gpu-0=500", Show(map.FindFraction(500)));  // gpu-1 too small, gpu-0 has 700
        Assert.Equal("gpu-2=1000", Show(map.FindFraction(1000)));
    }

    [Fact]
    public void Fraction_over_one_device_splits_evenly_across_the_fewest_devices()
    {
        var map = Map(4);
        Assert.Equal("gpu-0=750 gpu-1=750", Show(map.FindFraction(1500)));
        Assert.Equal("gpu-0=668 gpu-1=667 gpu-2=667", Show(map.FindFraction(2002)));
        Assert.Equal("gpu-0=1000 gpu-1=1000", Show(map.FindFraction(2000)));
    }

    [Fact]
    public void Fraction_that_fits_no_single_device_is_split()
    {
        var map = Map(3);
        map.TryAllocateExact("a", ("gpu-0", 500));
        map.TryAllocateExact("b", ("gpu-1", 400));
        map.TryAllocateExact("c", ("gpu-2", 300));

        // 800 fits no device alone (free 500, 600, 700); 400+400 goes to the two tightest devices that hold 400.
        Assert.Equal("gpu-0=400 gpu-1=400", Show(map.FindFraction(800)));
        // 1500 needs three devices: 500+500+500 on free 500, 600, 700.
        Assert.Equal("gpu-0=500 gpu-1=500 gpu-2=500", Show(map.FindFraction(1500)));
        // 1502 = 501+501+500: the two devices with 600 and 700 free take the extra milli.
        Assert.Equal("gpu-0=500 gpu-1=501 gpu-2=501", Show(map.FindFraction(1502)));
        // 1503 = 501 each, but gpu-0 has only 500 free: an even split is impossible although 1800 are free in total.
        Assert.Null(map.FindFraction(1503));
        Assert.False(map.CanFitFraction(1503));
        Assert.True(map.CanFitFraction(1502));
    }

    [Fact]
    public void Split_is_refused_when_the_even_shares_do_not_fit()
    {
        var map = Map(2);
        map.TryAllocateExact("a", ("gpu-0", 900)); // free: 100, 1000

        // 1000 fits gpu-1 alone; 1050 would need 525+525 but gpu-0 has only 100 free.
        Assert.Equal("gpu-1=1000", Show(map.FindFraction(1000)));
        Assert.Null(map.FindFraction(1050));
    }

    [Fact]
    public void Model_constraint_limits_the_devices()
    {
        var map = new GpuAllocationMap([new GpuDeviceInfo("a", "V100M16", 0, 0), new GpuDeviceInfo("b", "V100M32", 0, 1)]);

        Assert.Equal("b=1000", Show(map.FindWhole(1, ["v100m32"])));
        Assert.Equal("a=300", Show(map.FindFraction(300, ["V100M16"])));
        Assert.Null(map.FindWhole(1, ["T4"]));
        Assert.False(map.HasModel(["T4"]));
        Assert.True(map.HasModel(null));
    }

    [Fact]
    public void Free_restores_exactly_what_the_session_held()
    {
        var map = Map(2);
        map.AllocateFraction("a", 300);
        var before = Snapshot(map);

        Assert.NotNull(map.AllocateFraction("b", 1400)); // 700 + 700
        Assert.NotNull(map.AllocateFraction("c", 200));
        Assert.True(map.Free("b"));
        Assert.True(map.Free("c"));

        Assert.Equal(before, Snapshot(map));
        Assert.False(map.Free("b"));
        Assert.True(map.Free("a"));
        Assert.True(map.IsEmpty);
        Assert.Equal(2000, map.FreeMilli);
    }

    [Fact]
    public void TryAllocate_is_strict_and_changes_nothing_on_refusal()
    {
        var map = Map(2);
        map.TryAllocateExact("a", ("gpu-0", 600));
        var before = Snapshot(map);

        Assert.False(map.TryAllocate("b", [new GpuShare("gpu-0", 401)], out var over));
        Assert.Contains("gpu-0", over);
        Assert.False(map.TryAllocate("b", [new GpuShare("nope", 1)], out var unknown));
        Assert.Contains("unknown GPU", unknown);
        Assert.False(map.TryAllocate("b", [new GpuShare("gpu-1", 0)], out _));
        Assert.False(map.TryAllocate("b", [new GpuShare("gpu-1", 1001)], out _));
        Assert.False(map.TryAllocate("b", [new GpuShare("gpu-1", 500), new GpuShare("gpu-1", 500)], out _));
        Assert.False(map.TryAllocate("b", [new GpuShare("gpu-1", 500), new GpuShare("gpu-0", 500)], out _));
        Assert.False(map.TryAllocate("a", [new GpuShare("gpu-1", 100)], out var twice));
        Assert.Contains("already", twice);
        Assert.False(map.TryAllocate("b", [], out _));

        Assert.Equal(before, Snapshot(map));
    }

    [Fact]
    public void Shares_are_visible_per_device_and_per_session()
    {
        var map = Map(2);
        map.AllocateFraction("a", 1200);

        Assert.Equal(600, map.SharesOn("gpu-0")["a"]);
        Assert.Equal(600, map.SharesOn("gpu-1")["a"]);
        Assert.Equal(2, map.SharesOf("a").Count);
        Assert.Empty(map.SharesOf("zzz"));
        Assert.True(map.Holds("a"));
    }

    [Fact]
    public void Clone_is_independent()
    {
        var map = Map(1);
        var copy = map.Clone();
        copy.AllocateFraction("a", 500);

        Assert.True(map.IsEmpty);
        Assert.Equal(500, copy.UsedMilli);
    }

    [Fact]
    public void Duplicate_uuids_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new GpuAllocationMap([new GpuDeviceInfo("x", "m", 0, 0), new GpuDeviceInfo("x", "m", 0, 1)]));
    }

    internal static string Snapshot(GpuAllocationMap map) => string.Join(";", map.Devices.Select(d =>
        $"{d.Uuid}:{map.UsedMilliOf(d.Uuid)}[{string.Join(",", map.SharesOn(d.Uuid).OrderBy(s => s.Key).Select(s => $"{s.Key}={s.Value}"))}]"));
}

internal static class GpuAllocationMapTestExtensions
{
    public static GpuShare[]? TryAllocateExact(this GpuAllocationMap map, string sessionId, params (string Uuid, int Milli)[] shares)
    {
        var list = shares.Select(s => new GpuShare(s.Uuid, s.Milli)).ToArray();
        return map.TryAllocate(sessionId, list, out var reason) ? list : throw new InvalidOperationException(reason);
    }
}
