using Granary.Scheduling;

namespace Granary.Benchmarks.Throughput;

/// <summary>Command-line options; every one has a default that meets the yardstick.</summary>
public sealed record BenchmarkOptions
{
    public int Agents { get; init; } = 1000;
    public int Sessions { get; init; } = 10_000;
    public int InFlight { get; init; } = 1000;
    public int Runs { get; init; } = 3;
    /// <summary>Enough for the tiered JIT to finish optimising the hot paths (tier-1 code with profile-guided
    /// optimisation): after 5,000, main's runs still got faster one after another for 25,000 sessions more, from
    /// about 3,500 to 6,000–8,000 sessions/s, so the median measured how far the JIT had come (docs/performance.md).</summary>
    public int Warmup { get; init; } = 30_000;

    /// <summary>Sessions per second offered in the paced runs (0: none).</summary>
    public int Rate { get; init; } = 2000;
    public int AgentSilos { get; init; } = 2;
    public int[] ScaleAgents { get; init; } = [100, 1000, 5000];
    public int ScaleSessions { get; init; } = 3000;
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(120);
    public bool Json { get; init; }

    /// <summary>The scheduler's placement policy (null: its default).</summary>
    public string? Policy { get; init; }

    /// <summary>Under the policy "plan": how often its planner solves again (null: the scheduler's default).</summary>
    public TimeSpan? Replan { get; init; }

    public const string Usage = """
        Granary throughput benchmark: sessions created through ISessionGrain.Create on an in-process Orleans
        cluster (one manager silo, agent silos standing for many simulated nodes, zero-delay simulated runtime).

          --agents N          simulated agents in the throughput phase (default 1000)
          --sessions N        sessions per measured run (default 10000)
          --in-flight N       sessions between Create and RUNNING at once (default 1000)
          --runs N            measured runs, the median is reported (default 3)
          --warmup N          sessions pushed before measuring, not counted (default 30000)
          --rate N            after the saturation runs, as many runs offering N sessions/s at a steady pace
                              (open loop, still at most --in-flight at once); 0 skips them (default 2000)
          --agent-silos N     agent silos the agents are spread over (default 2)
          --scale A,B,C       agent counts for the decision-time phase, or "none" (default 100,1000,5000)
          --scale-sessions N  sessions per cluster size in that phase (default 3000)
          --timeout SECONDS   a session not RUNNING by then counts as failed (default 120)
          --policy NAME       the scheduler's placement policy, or "plan" (default: the scheduler's default)
          --replan SECONDS    under "plan": how often the planner solves again (default: the scheduler's)
          --json              also print one JSON object with every figure
        """;

    public static BenchmarkOptions Parse(string[] args)
    {
        var options = new BenchmarkOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Count() => int.TryParse(Next(), out var n) && n > 0 ? n : throw new ArgumentException($"{args[i - 1]} must be a positive integer.");
            options = args[i] switch
            {
                "--agents" => options with { Agents = Count() },
                "--sessions" => options with { Sessions = Count() },
                "--in-flight" => options with { InFlight = Count() },
                "--runs" => options with { Runs = Count() },
                "--warmup" => options with { Warmup = int.TryParse(Next(), out var w) && w >= 0 ? w : throw new ArgumentException("--warmup must be >= 0.") },
                "--rate" => options with { Rate = int.TryParse(Next(), out var r) && r >= 0 ? r : throw new ArgumentException("--rate must be >= 0.") },
                "--agent-silos" => options with { AgentSilos = Count() },
                "--scale" => options with { ScaleAgents = ParseList(Next()) },
                "--scale-sessions" => options with { ScaleSessions = Count() },
                "--timeout" => options with { SessionTimeout = TimeSpan.FromSeconds(Count()) },
                "--json" => options with { Json = true },
                "--policy" => options with { Policy = PolicyNamed(Next()) },
                "--replan" => options with { Replan = TimeSpan.FromSeconds(Count()) },
                _ => throw new ArgumentException($"Unknown option '{args[i]}'."),
            };
        }
        return options;
    }

    private static string PolicyNamed(string name) =>
        string.Equals(name, PlacementPolicy.PlanName, StringComparison.OrdinalIgnoreCase) ? PlacementPolicy.PlanName : PlacementPolicy.Resolve(name).Name;

    private static int[] ParseList(string value) => value == "none"
        ? []
        : value.Split(',').Select(v => int.TryParse(v, out var n) && n > 0 ? n : throw new ArgumentException($"--scale: '{v}' is not a positive integer.")).ToArray();
}
