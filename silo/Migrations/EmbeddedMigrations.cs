namespace Granary.Silo.Migrations;

/// <summary>The deploy/sql/*.sql scripts, embedded in the silo assembly under "Granary.Sql.NAME.sql"
/// (see the EmbeddedResource items in Granary.Silo.csproj).</summary>
public static class EmbeddedMigrations
{
    private const string Prefix = "Granary.Sql.";
    private const string Suffix = ".sql";

    public static IReadOnlyList<MigrationScript> Load()
    {
        var assembly = typeof(EmbeddedMigrations).Assembly;
        var scripts = new List<MigrationScript>();
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(Prefix, StringComparison.Ordinal) || !name.EndsWith(Suffix, StringComparison.Ordinal))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(name)
                ?? throw new InvalidOperationException($"Embedded resource {name} could not be opened.");
            using var reader = new StreamReader(stream);
            var version = name[Prefix.Length..^Suffix.Length];
            scripts.Add(MigrationScript.FromText(version, reader.ReadToEnd()));
        }

        if (scripts.Count == 0)
        {
            throw new InvalidOperationException("No SQL scripts are embedded in the silo assembly (expected Granary.Sql.*.sql).");
        }

        scripts.Sort((a, b) => string.CompareOrdinal(a.Version, b.Version));
        return scripts;
    }
}
