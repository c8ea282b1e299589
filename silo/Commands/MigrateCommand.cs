using Granary.Silo.Commands;
using Npgsql;

namespace Granary.Silo.Migrations;

/// <summary>
/// The `migrate` verb: <c>granary-silo migrate [--connection "Host=…;Port=…;Username=…;Database=…"]</c>.
/// Without --connection the connection string comes from configuration key
/// Granary:Database:ConnectionString (appsettings.json, or the environment variable
/// Granary__Database__ConnectionString). Applies the embedded deploy/sql scripts; safe to run any
/// number of times. Exit codes: 0 done, 1 the database refused, 2 bad usage.
/// </summary>
public static class MigrateCommand
{
    public const string ConnectionStringKey = "Granary:Database:ConnectionString";

    private const string Usage = """
        usage: granary-silo migrate [--connection "Host=HOST;Port=PORT;Username=USER;Database=DB"]
          Applies Granary's PostgreSQL scripts (Orleans clustering, grain storage, reminders).
          Without --connection: configuration key Granary:Database:ConnectionString
          (environment: Granary__Database__ConnectionString).
        """;

    /// <summary>Runs the verb. <paramref name="args"/> are the arguments after "migrate" (a leading
    /// "migrate" is tolerated).</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        if (args is ["migrate", .. var rest])
        {
            args = rest;
        }

        if (args.Any(a => a is "-h" or "--help"))
        {
            Console.WriteLine(Usage);
            return 0;
        }

        string? connectionString;
        try
        {
            connectionString = ResolveConnectionString(args);
        }
        catch (FormatException error)
        {
            Console.Error.WriteLine($"migrate: {error.Message}");
            Console.Error.WriteLine(Usage);
            return 2;
        }

        if (string.IsNullOrWhiteSpace(connectionString))
        {
            Console.Error.WriteLine($"migrate: no connection string: pass --connection or set {ConnectionStringKey}.");
            Console.Error.WriteLine(Usage);
            return 2;
        }

        NpgsqlConnectionStringBuilder target;
        try
        {
            target = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException error)
        {
            Console.Error.WriteLine($"migrate: the connection string is not valid: {error.Message}");
            return 2;
        }

        Console.WriteLine($"migrate: database {target.Database} on {target.Host}:{target.Port}");
        try
        {
            var report = await SqlMigrator.ApplyAsync(connectionString, EmbeddedMigrations.Load());
            Print(report, target.Database);
            return 0;
        }
        catch (Exception error) when (error is NpgsqlException or MigrationFailedException)
        {
            Console.Error.WriteLine($"migrate: failed: {error.Message}");
            return 1;
        }
    }

    /// <summary>--connection VALUE or --connection=VALUE wins over configuration.</summary>
    public static string? ResolveConnectionString(string[] args)
    {
        var configuration = VerbConfiguration.Build(args);
        return configuration["connection"] ?? configuration[ConnectionStringKey] ?? Environment.GetEnvironmentVariable(Granary.Silo.Hosting.GranaryHostOptions.PostgresVariable);
    }

    private static void Print(MigrationReport report, string? database)
    {
        if (report.CreatedDatabase)
        {
            Console.WriteLine($"  created database {database}");
        }

        foreach (var step in report.Steps)
        {
            var outcome = step.Outcome.ToString().ToLowerInvariant();
            var time = step.Outcome == MigrationOutcome.Unchanged ? "" : $" ({step.Elapsed.TotalMilliseconds:F0} ms)";
            Console.WriteLine($"  {outcome,-9} {step.Version}{time}");
        }

        Console.WriteLine(
            $"migrate: {report.Count(MigrationOutcome.Applied)} applied, {report.Count(MigrationOutcome.Reapplied)} reapplied, "
            + $"{report.Count(MigrationOutcome.Unchanged)} unchanged in {report.Elapsed.TotalMilliseconds:F0} ms");
    }
}
