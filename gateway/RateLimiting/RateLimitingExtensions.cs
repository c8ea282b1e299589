using System.Globalization;
using System.Threading.RateLimiting;
using Granary.Gateway.Auth;

namespace Granary.Gateway.RateLimiting;

/// <summary>
/// Rate limiting per API key (ASP.NET Core's rate limiter, a token bucket per key): over the limit is a 429 problem
/// with Retry-After. Requests without a valid key are not limited here (they get their 401 anyway).
/// </summary>
public static class RateLimitingExtensions
{
    public static IHostApplicationBuilder AddGranaryRateLimiting(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>() ?? new RateLimitOptions();
        if (options.PermitsPerSecond < 1 || options.Burst < 1)
        {
            throw new InvalidOperationException($"{RateLimitOptions.Section}: PermitsPerSecond and Burst must be at least 1.");
        }

        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                context.User.Identity?.IsAuthenticated == true
                    ? RateLimitPartition.GetTokenBucketLimiter($"{context.User.GetId()}/{context.User.GetKeyId()}", _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = options.Burst,
                        TokensPerPeriod = options.PermitsPerSecond,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    })
                    : RateLimitPartition.GetNoLimiter(""));
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                var context = rejected.HttpContext;
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails =
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "Too many requests",
                        Detail = $"This API key may make {options.PermitsPerSecond} requests per second (bursts of {options.Burst}); retry after {seconds} s.",
                    },
                });
            };
        });
        return builder;
    }
}
