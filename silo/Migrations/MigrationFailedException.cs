using Npgsql;

namespace Granary.Silo.Migrations;

/// <summary>A script failed; its transaction was rolled back and nothing of it was recorded.</summary>
public sealed class MigrationFailedException(string version, PostgresException error)
    : Exception($"Script {version} failed: {error.MessageText} (SQLSTATE {error.SqlState}"
        + (error.Position > 0 ? $", at character {error.Position}" : "")
        + (error.Where is { Length: > 0 } where ? $", {where}" : "") + ")", error)
{
    public string Version { get; } = version;
}
