using System.Collections.Concurrent;

namespace Granary.Gateway.Browser;

/// <summary>The app tickets this gateway has already exchanged, kept until they would have expired: each works once.</summary>
public sealed class UsedTickets(TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _used = new(StringComparer.Ordinal);

    public bool TryUse(string nonce)
    {
        var now = clock.GetUtcNow();
        foreach (var (old, until) in _used)
        {
            if (until < now)
            {
                _used.TryRemove(old, out _);
            }
        }

        return _used.TryAdd(nonce, now + BrowserTokens.TicketLifetime);
    }
}
