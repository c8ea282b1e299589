using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Granary.Silo.Adapters.Storage;

/// <summary>
/// Grain-state reads and writes in PostgreSQL sent in groups (PostgresCommandGroups): the same statements Orleans'
/// ADO.NET storage runs (writetostorage, and its read), on the same rows (AdoNetStateRow), with the same serializer.
/// Clears, and states the row key does not cover, go to that storage (inner) unchanged. Semantics are the provider's:
/// each write names the version it read and fails with InconsistentStateException when another wrote first; a write
/// is answered only once its group has committed, and fails with the group's error when that did not; a state never
/// written reads as a new instance with no version.
/// </summary>
public sealed class GroupCommitGrainStorage(
    IGrainStorage inner, PostgresCommandGroups groups, string serviceId, IGrainStorageSerializer serializer, IActivatorProvider activators)
    : IGrainStorage
{
    private const string Write = "SELECT newgrainstateversion FROM writetostorage($1, $2, $3, $4, $5, $6, $7, $8, $9)";

    private const string Read = """
        SELECT payloadbinary, version FROM orleansstorage
        WHERE grainidhash = $1 AND grainidn0 = $2 AND grainidn1 = $3 AND graintypehash = $4 AND graintypestring = $5
          AND grainidextensionstring IS NOT DISTINCT FROM $6 AND serviceid = $7
        """;

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (!AdoNetStateRow.Covers(stateName))
        {
            await inner.ReadStateAsync(stateName, grainId, grainState);
            return;
        }
        var row = AdoNetStateRow.For(stateName, grainId);
        var command = RowCommand(Read, row);
        var (payload, version) = await groups.Run(command, row.Order, async reader => await reader.ReadAsync()
            ? (reader.IsDBNull(0) ? null : reader.GetFieldValue<byte[]>(0), reader.IsDBNull(1) ? null : reader.GetInt32(1))
            : ((byte[]?)null, (int?)null));
        grainState.State = payload is null ? activators.GetActivator<T>().Create() : serializer.Deserialize<T>(new BinaryData(payload));
        grainState.ETag = version?.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = payload is not null;
    }

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
        var command = RowCommand(Write, row);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer, Value = (object?)version ?? DBNull.Value });
        // Serialized now, in the grain's turn: the state may change once the grain awaits.
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

    /// <summary>A statement whose first seven parameters name the row, in the order of the provider's queries.</summary>
    private NpgsqlBatchCommand RowCommand(string text, AdoNetStateRow row)
    {
        var command = new NpgsqlBatchCommand(text);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = row.GrainIdHash });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = row.N0 });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = row.N1 });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = row.GrainTypeHash });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Varchar, Value = row.GrainType });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Varchar, Value = (object?)row.Extension ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Varchar, Value = serviceId });
        return command;
    }
}
