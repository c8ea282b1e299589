using Granary.PlatformTests.Infrastructure;
using Granary.Silo.Migrations;
using Npgsql;
using NpgsqlTypes;

namespace Granary.PlatformTests.Postgres;

/// <summary>
/// The grain-storage queries as Orleans runs them (text from OrleansQuery, parameters by name), for
/// the races a single silo cannot provoke: two activations of one grain writing at once.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class GrainStorageSqlTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Two_first_writes_of_one_grain_store_one_row_and_the_loser_gets_no_version()
    {
        var database = await MigratedDatabaseAsync();

        var first = await WriteAsync(database, version: null, payload: [1]);
        var second = await WriteAsync(database, version: null, payload: [2]);

        Assert.Equal(1, first);
        Assert.Null(second); // Orleans turns "no new version" into InconsistentStateException
        Assert.Equal(1, await Sql.ScalarAsync<int>(database, "SELECT count(*) FROM OrleansStorage"));
        Assert.Equal([1], await Sql.ScalarAsync<byte[]>(database, "SELECT PayloadBinary FROM OrleansStorage"));
    }

    [Fact]
    public async Task A_write_with_a_stale_version_changes_nothing_and_returns_that_version()
    {
        var database = await MigratedDatabaseAsync();
        await WriteAsync(database, version: null, payload: [1]);
        Assert.Equal(2, await WriteAsync(database, version: 1, payload: [2]));

        var stale = await WriteAsync(database, version: 1, payload: [3]);

        Assert.Equal(1, stale);
        Assert.Equal([2], await Sql.ScalarAsync<byte[]>(database, "SELECT PayloadBinary FROM OrleansStorage"));
        Assert.Equal(2, await Sql.ScalarAsync<int>(database, "SELECT Version FROM OrleansStorage"));
    }

    [Fact]
    public async Task Grains_without_a_key_extension_are_told_apart_by_their_ids()
    {
        var database = await MigratedDatabaseAsync();

        Assert.Equal(1, await WriteAsync(database, version: null, payload: [1], extension: null, n1: 1));
        Assert.Equal(1, await WriteAsync(database, version: null, payload: [2], extension: null, n1: 2));
        Assert.Null(await WriteAsync(database, version: null, payload: [3], extension: null, n1: 1));

        Assert.Equal(2, await Sql.ScalarAsync<int>(database, "SELECT count(*) FROM OrleansStorage"));
    }

    private async Task<string> MigratedDatabaseAsync()
    {
        var database = await postgres.CreateDatabaseAsync();
        await SqlMigrator.ApplyAsync(database, EmbeddedMigrations.Load());
        return database;
    }

    private static async Task<int?> WriteAsync(
        string database, int? version, byte[] payload, string? extension = "session-1", long n1 = 7)
    {
        var text = await Sql.ScalarAsync<string>(database, "SELECT QueryText FROM OrleansQuery WHERE QueryKey = 'WriteToStorageKey'");
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(text, connection);
        command.Parameters.AddWithValue("GrainIdHash", 42);
        command.Parameters.AddWithValue("GrainIdN0", 0L);
        command.Parameters.AddWithValue("GrainIdN1", n1);
        command.Parameters.AddWithValue("GrainTypeHash", 99);
        command.Parameters.AddWithValue("GrainTypeString", "counter");
        command.Parameters.Add(new NpgsqlParameter("GrainIdExtensionString", NpgsqlDbType.Varchar) { Value = (object?)extension ?? DBNull.Value });
        command.Parameters.AddWithValue("ServiceId", "granary");
        command.Parameters.Add(new NpgsqlParameter("GrainStateVersion", NpgsqlDbType.Integer) { Value = (object?)version ?? DBNull.Value });
        command.Parameters.AddWithValue("PayloadBinary", payload);
        var result = await command.ExecuteScalarAsync();
        return result is DBNull or null ? null : (int)result;
    }
}
