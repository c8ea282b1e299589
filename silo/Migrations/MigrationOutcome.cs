namespace Granary.Silo.Migrations;

/// <summary>What migrate did with one script.</summary>
public enum MigrationOutcome
{
    /// <summary>Never applied before: applied and recorded.</summary>
    Applied,

    /// <summary>Applied before with a different checksum: applied again (scripts are idempotent).</summary>
    Reapplied,

    /// <summary>Applied before with the same checksum: nothing done.</summary>
    Unchanged,
}
