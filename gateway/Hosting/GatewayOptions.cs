namespace Granary.Gateway.Hosting;

/// <summary>The "Granary:Gateway" configuration section, and Granary:DataDirectory.</summary>
public sealed class GatewayOptions
{
    public const string Section = "Granary:Gateway";
    public const string AllInOne = "all-in-one";
    public const string Client = "client";

    /// <summary>"all-in-one" (default): host a silo with both roles in this process; "client": join a cluster as an Orleans client.</summary>
    public string Mode { get; set; } = AllInOne;

    /// <summary>Client mode: how long the gateway waits for the cluster to answer a call before it answers 503 with
    /// Retry-After (a manager that died mid-call, or storage that hangs). Longer than Granary:Agent:StopGrace, which
    /// a delete may wait for.</summary>
    public TimeSpan ResponseTimeout { get; set; } = DefaultResponseTimeout;

    public static readonly TimeSpan DefaultResponseTimeout = TimeSpan.FromSeconds(15);

    /// <summary>How often an open SSE stream asks its session for new events.</summary>
    public TimeSpan EventPollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How often the gateway sends the sessions used through it (app proxy, terminal) to their grains.</summary>
    public TimeSpan ActivityFlushInterval { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>How often a watch of a session list (GET /v1/sessions/watch) looks for changes.</summary>
    public TimeSpan WatchInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Where the gateway keeps the generated admin key (Granary:DataDirectory, default ./.granary).</summary>
    public string DataDirectory { get; set; } = DefaultDataDirectory;

    public const string DefaultDataDirectory = ".granary";

    public static string ModeFrom(IConfiguration configuration)
    {
        var mode = configuration[$"{Section}:Mode"] ?? AllInOne;
        return mode switch
        {
            AllInOne or Client => mode,
            _ => throw new InvalidOperationException($"{Section}:Mode must be \"{AllInOne}\" or \"{Client}\", not \"{mode}\"."),
        };
    }
}
