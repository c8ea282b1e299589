namespace Granary.Benchmarks.Soak;

/// <summary>The soak's arguments: how long, how many clients, how often the agent is killed and restarted.</summary>
public sealed record SoakOptions(TimeSpan Duration, int Clients, TimeSpan RestartEvery, string LogDirectory)
{
    public const string Usage = """
        usage: Granary.Benchmarks.Soak [--minutes M] [--clients C] [--restart-every-seconds S] [--logs DIR]
          --minutes                  how long clients start new sessions (default 30)
          --clients                  concurrent clients, each creating, using and deleting sessions (default 3)
          --restart-every-seconds    the agent silo is killed and restarted this often (default 90)
          --logs                     where the processes' output goes (default a new temporary directory)
        Needs GRANARY_PG_CONNECTION (deploy/scripts/postgres-up.sh), a Docker daemon (DOCKER_HOST or the private
        one) with the session images, and the gateway and silo built in Release.
        """;

    /// <summary>Memory samples before this share of the run are warm-up and not in the slope.</summary>
    public const double WarmUpShare = 1.0 / 3;

    public static SoakOptions Parse(string[] args)
    {
        var minutes = 30.0;
        var clients = 3;
        var restart = 90.0;
        string? logs = null;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--minutes": minutes = Positive(Value(), "--minutes"); break;
                case "--clients": clients = (int)Positive(Value(), "--clients"); break;
                case "--restart-every-seconds": restart = Positive(Value(), "--restart-every-seconds"); break;
                case "--logs": logs = Value(); break;
                default: throw new ArgumentException($"unknown argument {args[i]}");
            }
        }
        return new SoakOptions(TimeSpan.FromMinutes(minutes), clients, TimeSpan.FromSeconds(restart),
            logs ?? Directory.CreateTempSubdirectory("granary-soak-").FullName);
    }

    private static double Positive(string value, string name) =>
        double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var number) && number > 0
            ? number
            : throw new ArgumentException($"{name} must be a positive number, not '{value}'");
}
