using Npgsql;

namespace Granary.PlatformTests.Infrastructure;

/// <summary>
/// The PostgreSQL server named by GRANARY_PG_CONNECTION (test.sh starts one with
/// deploy/scripts/postgres-up.sh). Every test gets fresh databases of its own, dropped at the end.
/// No server means every PostgreSQL test fails with the reason: these tests are never skipped.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public const string Variable = "GRANARY_PG_CONNECTION";

    private readonly List<string> _databases = [];
    private readonly Lock _gate = new();

    public string ServerConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var connectionString = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"{Variable} is not set. Start PostgreSQL and set it with `eval \"$(bash deploy/scripts/postgres-up.sh)\"` "
                + "(test.sh does this), then run the tests.");
        }

        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
        }
        catch (Exception error) when (error is NpgsqlException or TimeoutException)
        {
            throw new InvalidOperationException(
                $"PostgreSQL from {Variable} ({builder.Host}:{builder.Port}, database {builder.Database}) is not reachable: {error.Message}. "
                + "Start it with `bash deploy/scripts/postgres-up.sh`.", error);
        }

        ServerConnectionString = connectionString;
    }

    /// <summary>A new, empty database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var connectionString = NewDatabaseConnectionString();
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        await Sql.ExecuteAsync(ServerConnectionString, $"CREATE DATABASE \"{name}\"");
        return connectionString;
    }

    /// <summary>The connection string of a database that does not exist yet (dropped at the end if
    /// something creates it).</summary>
    public string NewDatabaseConnectionString()
    {
        var name = "granary_test_" + Guid.NewGuid().ToString("N")[..12];
        lock (_gate)
        {
            _databases.Add(name);
        }

        return new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = name }.ConnectionString;
    }

    public async Task DisposeAsync()
    {
        if (ServerConnectionString.Length == 0)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        foreach (var name in _databases)
        {
            await Sql.ExecuteAsync(ServerConnectionString, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
