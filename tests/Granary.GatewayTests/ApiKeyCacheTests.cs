using Granary.Gateway.Auth;
using Granary.Users;
using Microsoft.Extensions.Time.Testing;

namespace Granary.GatewayTests;

/// <summary>The gateway's key cache on its own (a fake clock, no cluster).</summary>
public sealed class ApiKeyCacheTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(5);
    private static readonly KeyDirectoryVersion First = new(Guid.NewGuid(), 0);
    private static readonly ResolvedKey Alice = new(new ApiKeyRecord("k1", "u-alice", "laptop", "hash-a", DateTimeOffset.UnixEpoch, null), null);

    [Fact]
    public void Without_a_lease_nothing_is_kept()
    {
        var cache = new ApiKeyCache(new FakeTimeProvider());

        cache.Keep("hash-a", new KeyResolution(Alice, First));

        Assert.False(cache.TryGet("hash-a", out _));
    }

    [Fact]
    public void A_revocation_empties_the_cache_and_an_answer_found_before_it_is_not_kept()
    {
        var clock = new FakeTimeProvider();
        var cache = new ApiKeyCache(clock);
        cache.Leased(clock.GetTimestamp(), new KeyCacheLease(First, Lease));
        cache.Keep("hash-a", new KeyResolution(Alice, First));
        Assert.True(cache.TryGet("hash-a", out var found));
        Assert.Same(Alice, found);

        cache.Revoked(First.Next());
        Assert.False(cache.TryGet("hash-a", out _));

        // An answer the directory gave before the revocation, arriving after its notice.
        cache.Keep("hash-a", new KeyResolution(Alice, First));
        Assert.False(cache.TryGet("hash-a", out _));
        // A renewal answered before the revocation does not take the cache back to the older version.
        cache.Leased(clock.GetTimestamp(), new KeyCacheLease(First, Lease));
        cache.Keep("hash-a", new KeyResolution(Alice, First));
        Assert.False(cache.TryGet("hash-a", out _));

        cache.Keep("hash-a", new KeyResolution(Alice, First.Next()));
        Assert.True(cache.TryGet("hash-a", out _));
    }

    [Fact]
    public void A_lapsed_lease_stops_the_cache_and_a_new_one_starts_it_empty()
    {
        var clock = new FakeTimeProvider();
        var cache = new ApiKeyCache(clock);
        var askedAt = clock.GetTimestamp();
        clock.Advance(TimeSpan.FromSeconds(1)); // the renewal's round trip: the lease counts from the asking
        cache.Leased(askedAt, new KeyCacheLease(First, Lease));
        cache.Keep("hash-a", new KeyResolution(Alice, First));

        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.False(cache.TryGet("hash-a", out _));

        // Same version (a revocation the directory could not tell may still be behind it): empty all the same.
        cache.Leased(clock.GetTimestamp(), new KeyCacheLease(First, Lease));
        Assert.False(cache.TryGet("hash-a", out _));
    }

    [Fact]
    public void Another_activation_of_the_directory_empties_the_cache()
    {
        var clock = new FakeTimeProvider();
        var cache = new ApiKeyCache(clock);
        cache.Leased(clock.GetTimestamp(), new KeyCacheLease(First, Lease));
        cache.Keep("hash-a", new KeyResolution(Alice, First));

        cache.Leased(clock.GetTimestamp(), new KeyCacheLease(new KeyDirectoryVersion(Guid.NewGuid(), 0), Lease));

        Assert.False(cache.TryGet("hash-a", out _));
    }
}
