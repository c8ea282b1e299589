using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using Orleans.Storage;

namespace Granary.Silo.Adapters.Storage;

/// <summary>
/// Grain-state writes to PostgreSQL committed in groups (PostgresCommandGroups): the same writetostorage calls
/// Orleans' ADO.NET storage makes, on the same rows (AdoNetStateRow). Reads and clears, and states the row key does
/// not cover, go to that storage (inner) unchanged. Semantics are the provider's: each write names the version it read
/// and fails with InconsistentStateException when another wrote first; a write is answered only once its group has
/// committed, and fails with the group's error when that did not.
/// </summary>
public sealed class GroupCommitGrainStorage(IGrainStorage inner, PostgresCommandGroups groups, string serviceId, IGrainStorageSerializer serializer)
    : IGrainStorage
{
    private const string Write = "SELECT newgrainstateversion FROM writetostorage($1, $2, $3, $4, $5, $6, $7, $8, $9)";

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(stateName, grainId, grainState);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ClearStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (!AdoNetStateRow.Covers(stateName))
        {
            await inner.WriteStateAsync(stateName, grainId, grainState);
            return;
        }
        int? version = string.IsNullOrWhiteSpace(grainState.ETag) ? null : int.Parse(grainState.ETag, CultureInfo.InvariantCulture);
        var row = AdoNetStateRow.For(stateName, grainId);
        // Serialized now, in the grain's turn: the state may change once the grain awaits.
        var command = new NpgsqlBatchCommand(Write);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = row.GrainIdHash });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = row.N0 });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = row.N1 });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = row.GrainTypeHash });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Varchar, Value = row.GrainType });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Varchar, Value = (object?)row.Extension ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Varchar, Value = serviceId });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer, Value = (object?)version ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = serializer.Serialize(grainState.State).ToArray() });

        var stored = await groups.Run(command, row.Order, async reader => await reader.ReadAsync() && !reader.IsDBNull(0) ? reader.GetInt32(0) : (int?)null);
        // As the provider decides it: no new version, or the one sent back, means another activation wrote first.
        if (stored is null || stored == version)
        {
            throw new InconsistentStateException(
                $"Version conflict (WriteState): ServiceId={serviceId} GrainType={stateName} GrainId={grainId} ETag={grainState.ETag}.");
        }
        grainState.ETag = stored.Value.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }
}
