using Granary.Users;
using Microsoft.Extensions.Time.Testing;

namespace Granary.UnitTests.Users;

public sealed class KeyCacheLeasesTests
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(5);

    [Fact]
    public void A_lease_is_current_with_the_time_it_has_left_until_it_ends_and_is_dropped()
    {
        var clock = new FakeTimeProvider();
        var leases = new KeyCacheLeases(clock, Duration);
        var gateway = new Gateway();

        leases.Grant(gateway);
        clock.Advance(TimeSpan.FromSeconds(2));
        var (observer, left) = Assert.Single(leases.Current());
        Assert.Same(gateway, observer);
        Assert.Equal(TimeSpan.FromSeconds(3), left);

        clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Empty(leases.Current());
    }

    [Fact]
    public void A_renewal_counts_from_when_it_reached_the_directory_and_an_ended_lease_is_gone()
    {
        var clock = new FakeTimeProvider();
        var leases = new KeyCacheLeases(clock, Duration);
        var (renewing, leaving) = (new Gateway(), new Gateway());
        leases.Grant(renewing);
        leases.Grant(leaving);

        clock.Advance(TimeSpan.FromSeconds(4));
        leases.Grant(renewing);
        leases.End(leaving);

        Assert.Equal((renewing, Duration), Assert.Single(leases.Current()));
    }

    [Fact]
    public void Leases_of_an_earlier_activation_are_waited_for_one_lease_duration_after_this_one_started()
    {
        var clock = new FakeTimeProvider();
        var leases = new KeyCacheLeases(clock, Duration);
        Assert.Equal(Duration, leases.EarlierActivationsLeft);

        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(TimeSpan.FromSeconds(1), leases.EarlierActivationsLeft);

        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(TimeSpan.Zero, leases.EarlierActivationsLeft);
    }

    private sealed class Gateway : IKeyRevocationObserver
    {
        public Task Revoked(KeyDirectoryVersion version) => Task.CompletedTask;
    }
}
