namespace Granary.Benchmarks.Deployment;

/// <summary>Command-line options of the deployment benchmark; the defaults are the setup.</summary>
public sealed record DeploymentOptions
{
    public int Nodes { get; init; } = 1000;
    public int AgentProcesses { get; init; } = 2;
    public int Managers { get; init; } = 1;
    public int Gateways { get; init; } = 2;
    public int Users { get; init; } = 20;
    public int Sessions { get; init; } = 3000;
    public int Runs { get; init; } = 3;
    /// <summary>Sessions pushed before the measured runs. A started process JITs its hot paths again, optimized, for
    /// the first ~10 s of load (in the manager and each gateway about half a core of JIT time meanwhile, from
    /// dotnet-counters), at about half the throughput after it: the default lets that pass.</summary>
    public int Warmup { get; init; } = 10_000;

    /// <summary>Create requests outstanding at once in the saturation runs (closed loop on the POST).</summary>
    public int Clients { get; init; } = 64;

    /// <summary>Sessions per second offered in the paced runs (0: none).</summary>
    public int Rate { get; init; } = 500;
    public string[] SynchronousCommit { get; init; } = ["on", "off"];
    /// <summary>Npgsql's Maximum Pool Size for every process: the default (100 a process) would let five processes
    /// exhaust the server's max_connections (100), refusing its other clients too.</summary>
    public int PoolSize { get; init; } = 10;
    /// <summary>A directory holding silo/ and gateway/ (copies of their bin/Release/net10.0) to run instead of this
    /// checkout's build: two builds compared, or a build measured while the checkout is rebuilt.</summary>
    public string? Binaries { get; init; }
    public TimeSpan FollowInterval { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(120);

    public const string Usage = """
        Granary deployment benchmark: a cluster of separate processes on a PostgreSQL database of its own (on the
        server GRANARY_PG_CONNECTION names; created, migrated and dropped here), every process on 127.0.0.1; sessions
        created through the REST gateways and followed to RUNNING (GET /v1/sessions/{id}); create->RUNNING is the
        session's startedAt minus the moment its POST was sent (or due, paced).

          --nodes N              simulated nodes (zero-delay simulated containers) (default 1000)
          --agent-processes N    agent silo processes the nodes are spread over (default 2)
          --managers N           manager silo processes (default 1)
          --gateways N           client-mode gateway processes, used round robin (default 2)
          --users N              users the sessions are spread over, each with its own key (default 20)
          --sessions N           sessions per measured run (default 3000)
          --runs N               measured runs of each kind; medians are reported (default 3)
          --warmup N             sessions pushed first, not counted: the JIT's optimizing (default 10000)
          --clients N            saturation: create requests outstanding at once (default 64)
          --rate N               paced runs offering N sessions/s (open loop); 0 skips them (default 500)
          --synchronous-commit   LIST: on, off or on,off: a fresh cluster and database for each (default on,off)
          --pool-size N          connections each process may hold to PostgreSQL (Maximum Pool Size; default 10)
          --binaries DIR         run DIR/silo/granary-silo.dll and DIR/gateway/granary-gateway.dll (copies of
                                 their bin/Release/net10.0) instead of this checkout's build
          --follow-ms N          how often a session not yet RUNNING is asked again (default 1000)
          --timeout SECONDS      a session not RUNNING by then counts as failed (default 120)
        """;

    public static DeploymentOptions Parse(string[] args)
    {
        var options = new DeploymentOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Count(int min = 1) => int.TryParse(Next(), out var n) && n >= min ? n : throw new ArgumentException($"{args[i - 1]} must be an integer >= {min}.");
            options = args[i] switch
            {
                "--nodes" => options with { Nodes = Count() },
                "--agent-processes" => options with { AgentProcesses = Count() },
                "--managers" => options with { Managers = Count() },
                "--gateways" => options with { Gateways = Count() },
                "--users" => options with { Users = Count() },
                "--sessions" => options with { Sessions = Count() },
                "--runs" => options with { Runs = Count() },
                "--warmup" => options with { Warmup = Count(0) },
                "--clients" => options with { Clients = Count() },
                "--rate" => options with { Rate = Count(0) },
                "--synchronous-commit" => options with { SynchronousCommit = ParseCommit(Next()) },
                "--pool-size" => options with { PoolSize = Count() },
                "--binaries" => options with { Binaries = Path.GetFullPath(Next()) },
                "--follow-ms" => options with { FollowInterval = TimeSpan.FromMilliseconds(Count()) },
                "--timeout" => options with { SessionTimeout = TimeSpan.FromSeconds(Count()) },
                _ => throw new ArgumentException($"Unknown option '{args[i]}'."),
            };
        }
        return options;
    }

    private static string[] ParseCommit(string value)
    {
        var modes = value.Split(',');
        return modes.All(m => m is "on" or "off") ? modes : throw new ArgumentException("--synchronous-commit: on, off or on,off.");
    }
}
