namespace Granary.Gateway.Hosting;

/// <summary>The "Granary:Gateway" configuration section, and Granary:DataDirectory.</summary>
public sealed class GatewayOptions
{
    public const string Section = "Granary:Gateway";
    public const string AllInOne = "all-in-one";
    public const string Client = "client";

    /// <summary>"all-in-one" (default): host a silo with both roles in this process; "client": join a cluster as an Orleans client.</summary>
    public string Mode { get; set; } = AllInOne;

    /// <summary>How often an open SSE stream asks its session for new events.</summary>
    public TimeSpan EventPollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

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
