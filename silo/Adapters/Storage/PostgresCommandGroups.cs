using System.Threading.Channels;
using Npgsql;

namespace Granary.Silo.Adapters.Storage;

/// <summary>
/// Statements of many callers sent to PostgreSQL in groups: the statements that arrive while a group is in flight go
/// together in the next, as one pipelined batch (one round trip, one transaction, one WAL flush). One group is in
/// flight at a time; a group commits whole or not at all, and when it fails every statement of it gets the error, so
/// no caller is answered for what was not stored. A group runs its statements sorted by their order key, so two
/// silos' groups that touch the same rows lock them in one order.
/// Every statement must return a result set (a SELECT, or a write with RETURNING): Npgsql's reader passes over a
/// statement that returns none, so the answers of the statements after it would be the next ones' (another grain's
/// state, another entry). A group whose result sets are fewer than its statements fails whole.
/// Why: a saturated deployment ran each grain-state write and directory statement as its own round trip and
/// transaction, and PostgreSQL spent several times a statement's execution on the rest (docs/performance.md).
/// </summary>
public sealed class PostgresCommandGroups : IAsyncDisposable
{
    /// <summary>Most statements in one group: bounds a round trip's size (the largest are grain states of a few KB).</summary>
    public const int MaxGroup = 128;

    private readonly NpgsqlDataSource _database;
    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _runner;
    private long _groups;

    public PostgresCommandGroups(NpgsqlDataSource database)
    {
        _database = database;
        _runner = Task.Run(RunGroups);
    }

    /// <summary>Groups on a pool of the connection string as Granary pools it (PostgresPooling: the statements run for
    /// every session stay prepared instead of being parsed and planned each time).</summary>
    public static PostgresCommandGroups Create(string connectionString) =>
        new(NpgsqlDataSource.Create(PostgresPooling.ConnectionString(connectionString)));

    /// <summary>Groups committed so far.</summary>
    public long Groups => Interlocked.Read(ref _groups);

    /// <summary>Runs the statement in the next group. read is given the reader at the statement's result (it may read
    /// its rows); what it returns is the answer, once the whole group has committed.</summary>
    public Task<T> Run<T>(NpgsqlBatchCommand command, string order, Func<NpgsqlDataReader, Task<T>> read)
    {
        var pending = new Pending<T>(command, order, read);
        if (!_pending.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(PostgresCommandGroups), "the PostgreSQL connection pool is shutting down");
        }
        return pending.Answer.Task;
    }

    private async Task RunGroups()
    {
        var group = new List<Pending>(MaxGroup);
        while (await _pending.Reader.WaitToReadAsync())
        {
            group.Clear();
            while (group.Count < MaxGroup && _pending.Reader.TryRead(out var pending))
            {
                group.Add(pending);
            }
            try
            {
                await Commit(group);
            }
            catch (Exception failure)
            {
                foreach (var pending in group)
                {
                    pending.Fail(failure);
                }
            }
        }
    }

    private async Task Commit(List<Pending> group)
    {
        group.Sort((a, b) => string.CompareOrdinal(a.Order, b.Order));
        await using var connection = await _database.OpenConnectionAsync();
        await using var batch = new NpgsqlBatch(connection);
        foreach (var pending in group)
        {
            batch.BatchCommands.Add(pending.Command);
        }
        await using (var reader = await batch.ExecuteReaderAsync())
        {
            var resultSets = reader.FieldCount > 0 ? 1 : 0;
            foreach (var pending in group)
            {
                await pending.Read(reader);
                if (await reader.NextResultAsync())
                {
                    resultSets++;
                }
            }
            if (resultSets != group.Count)
            {
                // Committed already, so its callers learn it failed though it was stored: what a caller of grain
                // storage meets after a lost answer (its next write conflicts and it reads again), never another's.
                throw new InvalidOperationException(
                    $"A group of {group.Count} statements returned {resultSets} result sets; every grouped statement must return one (SELECT or RETURNING).");
            }
        }
        Interlocked.Increment(ref _groups);
        foreach (var pending in group)
        {
            pending.Complete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _runner;
        await _database.DisposeAsync();
    }

    private abstract class Pending(NpgsqlBatchCommand command, string order)
    {
        public NpgsqlBatchCommand Command { get; } = command;
        public string Order { get; } = order;
        public abstract Task Read(NpgsqlDataReader reader);
        public abstract void Complete();
        public abstract void Fail(Exception failure);
    }

    private sealed class Pending<T>(NpgsqlBatchCommand command, string order, Func<NpgsqlDataReader, Task<T>> read) : Pending(command, order)
    {
        private T? _value;

        public TaskCompletionSource<T> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async Task Read(NpgsqlDataReader reader) => _value = await read(reader);

        public override void Complete() => Answer.TrySetResult(_value!);

        public override void Fail(Exception failure) => Answer.TrySetException(failure);
    }
}
