using Npgsql;

namespace Granary.Benchmarks.Deployment;

/// <summary>
/// Grain state writes so far, by grain type: the sum of OrleansStorage.Version (every write of a grain's state adds
/// one to its row's version, the first one inserts it with 1). Exact and current, unlike pg_stat's counters, which
/// backends flush up to seconds later.
/// </summary>
public static class StorageWrites
{
    public static async Task<Dictionary<string, long>> Read(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT graintypestring, SUM(COALESCE(version, 0))::bigint FROM orleansstorage GROUP BY graintypestring", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var writes = new Dictionary<string, long>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            writes[reader.GetString(0)] = reader.GetInt64(1);
        }
        return writes;
    }

    /// <summary>Writes per session between two readings, by grain type (largest first), types with none left out.</summary>
    public static List<(string GrainType, double PerSession)> PerSession(Dictionary<string, long> before, Dictionary<string, long> after, int sessions) =>
        [.. after.Select(a => (a.Key, (a.Value - before.GetValueOrDefault(a.Key)) / (double)sessions))
            .Where(w => w.Item2 > 0)
            .OrderByDescending(w => w.Item2)];
}
