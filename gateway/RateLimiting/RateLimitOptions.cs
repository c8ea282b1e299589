namespace Granary.Gateway.RateLimiting;

/// <summary>"Granary:RateLimit": requests per API key, a token bucket refilled by PermitsPerSecond up to Burst.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "Granary:RateLimit";

    public int PermitsPerSecond { get; set; } = 100;

    public int Burst { get; set; } = 200;
}
