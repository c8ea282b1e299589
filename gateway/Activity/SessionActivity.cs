using System.Collections.Concurrent;
using Granary.Gateway.Hosting;
using Granary.Sessions;
using Microsoft.Extensions.Options;

namespace Granary.Gateway.Activity;

/// <summary>
/// Records that sessions were used through this gateway (app proxy requests, terminal input) for their idle timeout.
/// Touches are gathered in memory and sent once per Granary:Gateway:ActivityFlushInterval as one one-way call per
/// session touched, not a grain call per request or keystroke.
/// </summary>
public sealed class SessionActivity(IGrainFactory grains, IOptions<GatewayOptions> options, ILogger<SessionActivity> logger) : BackgroundService
{
    private ConcurrentDictionary<string, byte> _touched = new(StringComparer.Ordinal);

    public void Touch(string sessionId) => _touched.TryAdd(sessionId, 0);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ActivityFlushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Flush();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: touches not yet sent only make a session look idle a little earlier.
        }
    }

    private void Flush()
    {
        var batch = Interlocked.Exchange(ref _touched, new ConcurrentDictionary<string, byte>(StringComparer.Ordinal));
        foreach (var sessionId in batch.Keys)
        {
            try
            {
                // One-way: returns at once.
                _ = grains.GetGrain<ISessionGrain>(sessionId).Touched();
            }
            catch (Exception e) when (e is OrleansException or InvalidOperationException)
            {
                logger.LogWarning(e, "Could not record activity of session {Session}", sessionId);
            }
        }
    }
}
