using Granary.Silo.Adapters.Storage;
using Npgsql;

namespace Granary.PlatformTests.Postgres;

/// <summary>Groups on a pool of one connection that the test holds: the first statement waits for it, and every
/// statement run meanwhile goes in the group after, together. The groups own the pool and dispose it.</summary>
public sealed class HeldGroups : IAsyncDisposable
{
    private NpgsqlConnection? _held;
    private readonly Task<int> _first;

    private HeldGroups(NpgsqlDataSource source, NpgsqlConnection held)
    {
        _held = held;
        Groups = new PostgresCommandGroups(source);
        _first = Groups.Run(new NpgsqlBatchCommand("SELECT 1"), "~first", async reader => await reader.ReadAsync() ? 1 : 0);
    }

    public PostgresCommandGroups Groups { get; }

    public static async Task<HeldGroups> Start(string connectionString)
    {
        var source = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = 1 }.ConnectionString);
        var groups = new HeldGroups(source, await source.OpenConnectionAsync());
        // Time for the runner to take the first statement and wait for the connection.
        await Task.Delay(200);
        return groups;
    }

    /// <summary>Gives the connection back; the first statement's group runs, then the rest.</summary>
    public async Task Release()
    {
        await _held!.DisposeAsync();
        _held = null;
        Assert.Equal(1, await _first);
    }

    public async ValueTask DisposeAsync()
    {
        if (_held is not null)
        {
            await _held.DisposeAsync();
        }
        await Groups.DisposeAsync();
    }
}
