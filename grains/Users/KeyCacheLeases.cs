namespace Granary.Users;

/// <summary>
/// The gateways holding a key-cache lease from this activation of the user directory, and how long each has left
/// (by this process's monotonic clock, from when the lease reached it: never less than the gateway counts from
/// when it asked). Leases granted by an earlier activation are unknown here; they end at most
/// <see cref="Duration"/> after this one started.
/// </summary>
public sealed class KeyCacheLeases(TimeProvider clock, TimeSpan duration)
{
    private readonly Dictionary<IKeyRevocationObserver, long> _grantedAt = [];
    private readonly long _startedAt = clock.GetTimestamp();

    public TimeSpan Duration => duration;

    public void Grant(IKeyRevocationObserver observer) => _grantedAt[observer] = clock.GetTimestamp();

    public void End(IKeyRevocationObserver observer) => _grantedAt.Remove(observer);

    /// <summary>The gateways whose lease has not ended, each with the time it has left; ended leases are dropped.</summary>
    public IReadOnlyList<(IKeyRevocationObserver Observer, TimeSpan Left)> Current()
    {
        var current = new List<(IKeyRevocationObserver, TimeSpan)>();
        foreach (var (observer, grantedAt) in _grantedAt.ToArray())
        {
            var left = duration - clock.GetElapsedTime(grantedAt);
            if (left > TimeSpan.Zero)
            {
                current.Add((observer, left));
            }
            else
            {
                _grantedAt.Remove(observer);
            }
        }
        return current;
    }

    /// <summary>How long a lease granted by an earlier activation may still last.</summary>
    public TimeSpan EarlierActivationsLeft
    {
        get
        {
            var left = duration - clock.GetElapsedTime(_startedAt);
            return left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }
    }
}
