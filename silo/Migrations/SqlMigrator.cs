using System.Data;
using System.Diagnostics;
using Npgsql;

namespace Granary.Silo.Migrations;

/// <summary>
/// Applies SQL scripts to a PostgreSQL database, each in its own transaction, and records each
/// applied version with its checksum in GranarySchemaHistory. A script whose version and checksum
/// are recorded is skipped; a recorded version whose text changed is applied again (the scripts
/// are written to be idempotent). A session advisory lock serialises concurrent migrators, so
/// several silos may run migrate against one database at start-up.
/// </summary>
public static class SqlMigrator
{
    /// <summary>Advisory lock key for migrate ("Granary" in ASCII, truncated to 63 bits).</summary>
    private const long LockKey = 0x4772616E617279;

    private const string CreateHistorySql = """
        CREATE TABLE IF NOT EXISTS GranarySchemaHistory
        (
            Version varchar(200) NOT NULL,
            Checksum char(64) NOT NULL,
            AppliedOn timestamptz NOT NULL DEFAULT now(),
            DurationMs integer NOT NULL,

            CONSTRAINT PK_GranarySchemaHistory PRIMARY KEY (Version)
        );
        """;

    private const string RecordSql = """
        INSERT INTO GranarySchemaHistory (Version, Checksum, AppliedOn, DurationMs)
        VALUES (@version, @checksum, now(), @durationMs)
        ON CONFLICT (Version) DO UPDATE
            SET Checksum = EXCLUDED.Checksum, AppliedOn = EXCLUDED.AppliedOn, DurationMs = EXCLUDED.DurationMs;
        """;

    public static async Task<MigrationReport> ApplyAsync(
        string connectionString, IReadOnlyList<MigrationScript> scripts, CancellationToken cancellationToken = default)
    {
        var total = Stopwatch.StartNew();
        var createdDatabase = await EnsureDatabaseAsync(connectionString, cancellationToken);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, $"SELECT pg_advisory_lock({LockKey})", cancellationToken);
        try
        {
            await ExecuteAsync(connection, null, CreateHistorySql, cancellationToken);
            var recorded = await ReadHistoryAsync(connection, cancellationToken);

            var steps = new List<MigrationStep>();
            foreach (var script in scripts)
            {
                recorded.TryGetValue(script.Version, out var recordedChecksum);
                if (recordedChecksum == script.Checksum)
                {
                    steps.Add(new MigrationStep(script.Version, MigrationOutcome.Unchanged, TimeSpan.Zero));
                    continue;
                }

                var elapsed = await ApplyOneAsync(connection, script, cancellationToken);
                var outcome = recordedChecksum is null ? MigrationOutcome.Applied : MigrationOutcome.Reapplied;
                steps.Add(new MigrationStep(script.Version, outcome, elapsed));
            }

            return new MigrationReport(createdDatabase, steps, total.Elapsed);
        }
        finally
        {
            // A broken connection has lost the session lock already; unlocking it would only hide
            // the original error.
            if (connection.FullState == ConnectionState.Open)
            {
                await ExecuteAsync(connection, null, $"SELECT pg_advisory_unlock({LockKey})", CancellationToken.None);
            }
        }
    }

    private static async Task<TimeSpan> ApplyOneAsync(
        NpgsqlConnection connection, MigrationScript script, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await ExecuteAsync(connection, transaction, script.Sql, cancellationToken);
        }
        catch (PostgresException error)
        {
            throw new MigrationFailedException(script.Version, error);
        }

        await using (var record = new NpgsqlCommand(RecordSql, connection, transaction))
        {
            record.Parameters.AddWithValue("version", script.Version);
            record.Parameters.AddWithValue("checksum", script.Checksum);
            record.Parameters.AddWithValue("durationMs", (int)watch.ElapsedMilliseconds);
            await record.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return watch.Elapsed;
    }

    private static async Task<Dictionary<string, string>> ReadHistoryAsync(
        NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var recorded = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand("SELECT Version, Checksum FROM GranarySchemaHistory", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            recorded[reader.GetString(0)] = reader.GetString(1);
        }

        return recorded;
    }

    /// <summary>Creates the connection string's database when the server says it does not exist
    /// (connecting to the "postgres" maintenance database to do so). True if it created it.</summary>
    private static async Task<bool> EnsureDatabaseAsync(string connectionString, CancellationToken cancellationToken)
    {
        try
        {
            await using var probe = new NpgsqlConnection(connectionString);
            await probe.OpenAsync(cancellationToken);
            return false;
        }
        catch (PostgresException error) when (error.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            var target = new NpgsqlConnectionStringBuilder(connectionString);
            var database = target.Database
                ?? throw new InvalidOperationException("The connection string names no database.");
            var maintenance = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false };
            await using var admin = new NpgsqlConnection(maintenance.ConnectionString);
            await admin.OpenAsync(cancellationToken);
            var quoted = "\"" + database.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
            try
            {
                await ExecuteAsync(admin, null, $"CREATE DATABASE {quoted}", cancellationToken);
            }
            catch (PostgresException race) when (race.SqlState == PostgresErrorCodes.DuplicateDatabase)
            {
                // Another migrator created it between our probe and our CREATE: that is the goal.
                return false;
            }

            return true;
        }
    }

    private static async Task ExecuteAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
