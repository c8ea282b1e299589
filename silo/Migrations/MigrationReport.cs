namespace Granary.Silo.Migrations;

/// <summary>The result of one migrate run.</summary>
public sealed record MigrationReport(
    bool CreatedDatabase,
    IReadOnlyList<MigrationStep> Steps,
    TimeSpan Elapsed)
{
    public int Count(MigrationOutcome outcome) => Steps.Count(s => s.Outcome == outcome);
}

/// <summary>One script's outcome and how long applying it took (zero when unchanged).</summary>
public sealed record MigrationStep(string Version, MigrationOutcome Outcome, TimeSpan Elapsed);
