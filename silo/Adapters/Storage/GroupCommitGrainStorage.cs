using System.Globalization;
using System.Threading.Channels;
using Npgsql;
using NpgsqlTypes;
using Orleans.Storage;

namespace Granary.Silo.Adapters.Storage;

/// <summary>
/// Grain-state writes to PostgreSQL committed in groups: writes that arrive while a group is in flight go together in
/// the next, as one pipelined batch (one round trip, one transaction, one WAL flush) of the same writetostorage
/// calls Orleans' ADO.NET storage makes, on the same rows (AdoNetStateRow). Reads and clears, and states the row key
/// does not cover, go to that storage (inner) unchanged.
/// Why: a saturated deployment wrote ~6 states per session one statement and one transaction at a time, and each cost
/// PostgreSQL about four times its execution in round trips, commits and wake-ups (docs/performance.md).
/// Semantics are the provider's: each write names the version it read and fails with InconsistentStateException when
/// another wrote first; a group commits whole or not at all, and every write of a group that failed gets its error,
/// so nothing is acknowledged that was not stored. One group is in flight per silo; its writes are sorted by row so
/// two silos' groups lock shared rows (two activations of one grain) in one order.
/// </summary>
public sealed class GroupCommitGrainStorage : IGrainStorage, IAsyncDisposable
{
    /// <summary>Most writes in one group: bounds a round trip's size (the largest states are a few KB).</summary>
    public const int MaxGroup = 128;

    private const string Write = "SELECT newgrainstateversion FROM writetostorage($1, $2, $3, $4, $5, $6, $7, $8, $9)";

    private readonly IGrainStorage _inner;
    private readonly NpgsqlDataSource _database;
    private readonly string _serviceId;
    private readonly IGrainStorageSerializer _serializer;
    private readonly Channel<PendingWrite> _pending = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private long _groups;

    public GroupCommitGrainStorage(IGrainStorage inner, NpgsqlDataSource database, string serviceId, IGrainStorageSerializer serializer)
    {
        _inner = inner;
        _database = database;
        _serviceId = serviceId;
        _serializer = serializer;
        _writer = Task.Run(WriteGroups);
    }

    /// <summary>Groups committed so far (each one round trip and one transaction).</summary>
    public long Groups => Interlocked.Read(ref _groups);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        _inner.ReadStateAsync(stateName, grainId, grainState);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        _inner.ClearStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (!AdoNetStateRow.Covers(stateName))
        {
            await _inner.WriteStateAsync(stateName, grainId, grainState);
            return;
        }
        int? version = string.IsNullOrWhiteSpace(grainState.ETag) ? null : int.Parse(grainState.ETag, CultureInfo.InvariantCulture);
        // Serialized now, in the grain's turn: the state may change once the grain awaits.
        var write = new PendingWrite(AdoNetStateRow.For(stateName, grainId), version, _serializer.Serialize(grainState.State).ToArray());
        if (!_pending.Writer.TryWrite(write))
        {
            throw new ObjectDisposedException(nameof(GroupCommitGrainStorage), "grain storage is shutting down");
        }
        var stored = await write.Stored.Task;
        // As the provider decides it: no new version, or the one sent back, means another activation wrote first.
        if (stored is null || stored == version)
        {
            throw new InconsistentStateException(
                $"Version conflict (WriteState): ServiceId={_serviceId} GrainType={stateName} GrainId={grainId} ETag={grainState.ETag}.");
        }
        grainState.ETag = stored.Value.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    private async Task WriteGroups()
    {
        var group = new List<PendingWrite>(MaxGroup);
        while (await _pending.Reader.WaitToReadAsync())
        {
            group.Clear();
            while (group.Count < MaxGroup && _pending.Reader.TryRead(out var write))
            {
                group.Add(write);
            }
            try
            {
                await Commit(group);
            }
            catch (Exception failure)
            {
                foreach (var write in group)
                {
                    write.Stored.TrySetException(failure);
                }
            }
        }
    }

    private async Task Commit(List<PendingWrite> group)
    {
        group.Sort((a, b) => Compare(a.Row, b.Row));
        await using var connection = await _database.OpenConnectionAsync();
        await using var batch = new NpgsqlBatch(connection);
        foreach (var write in group)
        {
            var command = new NpgsqlBatchCommand(Write);
            var row = write.Row;
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = row.GrainIdHash });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = row.N0 });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = row.N1 });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = row.GrainTypeHash });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Varchar, Value = row.GrainType });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Varchar, Value = (object?)row.Extension ?? DBNull.Value });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Varchar, Value = _serviceId });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer, Value = (object?)write.Version ?? DBNull.Value });
            command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = write.Payload });
            batch.BatchCommands.Add(command);
        }
        var stored = new int?[group.Count];
        await using (var reader = await batch.ExecuteReaderAsync())
        {
            for (var i = 0; i < group.Count; i++)
            {
                stored[i] = await reader.ReadAsync() && !reader.IsDBNull(0) ? reader.GetInt32(0) : null;
                await reader.NextResultAsync();
            }
        }
        Interlocked.Increment(ref _groups);
        // Only now is the group's transaction committed: no write is answered before all of them are stored.
        for (var i = 0; i < group.Count; i++)
        {
            group[i].Stored.TrySetResult(stored[i]);
        }
    }

    private static int Compare(AdoNetStateRow a, AdoNetStateRow b)
    {
        var order = a.GrainIdHash.CompareTo(b.GrainIdHash);
        if (order == 0) order = a.GrainTypeHash.CompareTo(b.GrainTypeHash);
        if (order == 0) order = a.N0.CompareTo(b.N0);
        if (order == 0) order = a.N1.CompareTo(b.N1);
        if (order == 0) order = string.CompareOrdinal(a.GrainType, b.GrainType);
        return order == 0 ? string.CompareOrdinal(a.Extension, b.Extension) : order;
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _writer;
        await _database.DisposeAsync();
    }

    private sealed record PendingWrite(AdoNetStateRow Row, int? Version, byte[] Payload)
    {
        public TaskCompletionSource<int?> Stored { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
