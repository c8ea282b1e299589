using Granary.Users;

namespace Granary.Gateway.Auth;

/// <summary>
/// This gateway's resolved API keys, by hash, used only while it holds a lease from the user directory (which tells
/// it of every revocation while the lease lasts, or waits until the lease has ended). An answer is kept only when it
/// was found at the version the cache is at, so an answer that raced a revocation is never kept after it.
/// </summary>
public sealed class ApiKeyCache(TimeProvider clock)
{
    /// <summary>More keys than a lab has: past this the cache starts again (it only saves directory calls).</summary>
    public const int MaxEntries = 100_000;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, ResolvedKey> _keys = new(StringComparer.Ordinal);
    private KeyDirectoryVersion? _version;
    private long _leaseEnds = long.MinValue;

    /// <summary>The cached key with this hash, while the lease lasts.</summary>
    public bool TryGet(string hash, out ResolvedKey? key)
    {
        lock (_lock)
        {
            key = null;
            return HasLease() && _keys.TryGetValue(hash, out key);
        }
    }

    /// <summary>Keeps a found key when it was found at the cache's version while the lease lasts.</summary>
    public void Keep(string hash, KeyResolution resolution)
    {
        lock (_lock)
        {
            if (resolution.Found is null || !HasLease() || resolution.Version != _version)
            {
                return;
            }
            if (_keys.Count >= MaxEntries)
            {
                _keys.Clear();
            }
            _keys[hash] = resolution.Found;
        }
    }

    /// <summary>The directory revoked keys: everything cached goes.</summary>
    public void Revoked(KeyDirectoryVersion version)
    {
        lock (_lock)
        {
            MoveTo(version);
        }
    }

    /// <summary>
    /// A lease asked for at <paramref name="askedAt"/> (a <see cref="TimeProvider.GetTimestamp"/>) was granted.
    /// After a lapse the cache starts empty: revocations in between may not have been told.
    /// </summary>
    public void Leased(long askedAt, KeyCacheLease lease)
    {
        lock (_lock)
        {
            if (!HasLease())
            {
                _keys.Clear();
            }
            MoveTo(lease.Version);
            var ends = askedAt + (long)(lease.Duration.TotalSeconds * clock.TimestampFrequency);
            _leaseEnds = Math.Max(_leaseEnds, ends);
        }
    }

    private bool HasLease() => clock.GetTimestamp() < _leaseEnds;

    private void MoveTo(KeyDirectoryVersion version)
    {
        if (version.Supersedes(_version))
        {
            _keys.Clear();
            _version = version;
        }
    }
}
