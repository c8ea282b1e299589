using Granary.Users;

namespace Granary.Gateway.Auth;

/// <summary>
/// Holds this gateway's key-cache lease with the user directory: renews it five times per lease (so a slow renewal
/// or two does not end it), and hands the directory's revocation notices to the <see cref="ApiKeyCache"/>. Until
/// the first lease (and after one lapses) the cache is not used: every key is resolved by the directory.
/// </summary>
public sealed class KeyCacheSubscription(IGrainFactory grains, ApiKeyCache cache, TimeProvider clock, ILogger<KeyCacheSubscription> logger)
    : BackgroundService, IKeyRevocationObserver
{
    private static readonly TimeSpan FirstRenewal = TimeSpan.FromSeconds(1);

    private IKeyRevocationObserver? _reference;

    private IUserDirectoryGrain Directory => grains.GetGrain<IUserDirectoryGrain>(IUserDirectoryGrain.Key);

    public Task Revoked(KeyDirectoryVersion version)
    {
        cache.Revoked(version);
        return Task.CompletedTask;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var every = FirstRenewal;
        var failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            var askedAt = clock.GetTimestamp();
            try
            {
                _reference ??= grains.CreateObjectReference<IKeyRevocationObserver>(this);
                var lease = await Directory.SubscribeKeyCache(_reference).WaitAsync(stoppingToken);
                cache.Leased(askedAt, lease);
                every = lease.Duration / 5;
                if (failing)
                {
                    logger.LogInformation("The key cache has a lease again.");
                    failing = false;
                }
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                // The lease runs out by itself: keys are then resolved by the directory on every request.
                if (!failing)
                {
                    logger.LogWarning("Could not renew the key cache's lease ({Error}); resolving every key at the directory until it is renewed.",
                        exception.GetType().Name);
                    failing = true;
                }
            }

            try
            {
                await Task.Delay(every, clock, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_reference is null)
        {
            return;
        }
        try
        {
            // So that revocations need not wait for this gateway's lease to run out.
            await Directory.UnsubscribeKeyCache(_reference).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
        }
        catch (Exception exception) when (exception is OrleansException or TimeoutException or OperationCanceledException)
        {
            logger.LogInformation("Could not end the key cache's lease ({Error}); it runs out by itself.", exception.GetType().Name);
        }
        // The reference itself ends with this process's Orleans client or silo, which stops after this service.
    }
}
