using Granary.PlatformTests.Infrastructure;
using Granary.Silo.Adapters.Storage;
using Granary.Silo.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Serialization.Serializers;
using Orleans.Storage;
using static Granary.PlatformTests.Postgres.OrleansPostgresHosts;

namespace Granary.PlatformTests.Postgres;

/// <summary>
/// GroupCommitGrainStorage against Orleans' own ADO.NET storage on a migrated database: the rows it reads and writes
/// are the rows that storage writes and reads (string, Guid and integer keys, with and without extensions), versions conflict as they do
/// there, writes that arrive together share a round trip, and an unreachable database fails the writes, not hangs them.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class GroupCommitGrainStorageTests(PostgresFixture postgres)
{
    public static TheoryData<string> Keys => new() { "string", "guid", "guid+extension", "integer", "integer+extension" };

    [Theory]
    [MemberData(nameof(Keys))]
    public async Task Each_reads_what_the_other_wrote_and_continues_its_versions(string key)
    {
        await using var silo = await Silo.Start(postgres);
        var grain = Grain(key);

        var written = new GrainState<CounterState>(new CounterState { Value = 1 });
        await silo.GroupCommit.WriteStateAsync("counter", grain, written);
        var read = new GrainState<CounterState>(new CounterState());
        await silo.Provider.ReadStateAsync("counter", grain, read);
        Assert.Equal((1, "1", true), (read.State!.Value, read.ETag, read.RecordExists));

        read.State = new CounterState { Value = 2 };
        await silo.Provider.WriteStateAsync("counter", grain, read);
        written.ETag = read.ETag;
        written.State = new CounterState { Value = 3 };
        await silo.GroupCommit.WriteStateAsync("counter", grain, written);
        Assert.Equal("3", written.ETag);

        read.State = new CounterState { Value = 4 };
        read.ETag = written.ETag;
        await silo.Provider.WriteStateAsync("counter", grain, read);
        var again = new GrainState<CounterState>(new CounterState());
        await silo.GroupCommit.ReadStateAsync("counter", grain, again);
        Assert.Equal((4, "4", true), (again.State!.Value, again.ETag, again.RecordExists));
        Assert.Equal(1, await silo.Rows());

        var never = new GrainState<CounterState>(new CounterState { Value = 5 }) { ETag = "9", RecordExists = true };
        await silo.GroupCommit.ReadStateAsync("other", grain, never);
        Assert.Equal((0, null, false), (never.State!.Value, never.ETag, never.RecordExists));
    }

    [Fact]
    public async Task A_second_first_write_or_a_stale_version_is_refused_and_changes_nothing()
    {
        await using var silo = await Silo.Start(postgres);
        var grain = Grain("string");
        var current = new GrainState<CounterState>(new CounterState { Value = 1 });
        await silo.GroupCommit.WriteStateAsync("counter", grain, current);

        var rival = new GrainState<CounterState>(new CounterState { Value = 9 });
        await Assert.ThrowsAsync<InconsistentStateException>(() => silo.GroupCommit.WriteStateAsync("counter", grain, rival));
        var stale = new GrainState<CounterState>(new CounterState { Value = 9 }) { ETag = current.ETag };
        current.State = new CounterState { Value = 2 };
        await silo.GroupCommit.WriteStateAsync("counter", grain, current);
        await Assert.ThrowsAsync<InconsistentStateException>(() => silo.GroupCommit.WriteStateAsync("counter", grain, stale));

        var read = new GrainState<CounterState>(new CounterState());
        await silo.Provider.ReadStateAsync("counter", grain, read);
        Assert.Equal((2, "2"), (read.State!.Value, read.ETag));
    }

    [Fact]
    public async Task Writes_that_arrive_together_share_round_trips_and_are_all_stored()
    {
        await using var silo = await Silo.Start(postgres);
        const int Count = 400;
        var states = Enumerable.Range(0, Count).Select(i => new GrainState<CounterState>(new CounterState { Value = i })).ToArray();

        await Task.WhenAll(states.Select((state, i) => silo.GroupCommit.WriteStateAsync("counter", GrainId.Create("counter", $"s-{i}"), state)));

        Assert.All(states, state => Assert.Equal("1", state.ETag));
        Assert.Equal(Count, await silo.Rows());
        Assert.InRange(silo.Groups.Groups, 1, Count / 10);
        for (var i = 0; i < Count; i += 37)
        {
            var read = new GrainState<CounterState>(new CounterState());
            await silo.Provider.ReadStateAsync("counter", GrainId.Create("counter", $"s-{i}"), read);
            Assert.Equal(i, read.State!.Value);
        }
    }

    [Fact]
    public async Task An_unreachable_database_fails_reads_and_writes_as_storage_unavailable()
    {
        await using var silo = await Silo.Start(postgres);
        var unreachable = new NpgsqlConnectionStringBuilder(postgres.NewDatabaseConnectionString()) { Host = "127.0.0.1", Port = 1, Timeout = 2 };
        await using var groups = new PostgresCommandGroups(NpgsqlDataSource.Create(unreachable.ConnectionString));
        var mapped = new StorageFailureMapping(new GroupCommitGrainStorage(silo.Provider, groups, silo.ServiceId, silo.Serializer, silo.Activators));

        var writes = Enumerable.Range(0, 20).Select(i =>
            mapped.WriteStateAsync("counter", GrainId.Create("counter", $"s-{i}"), new GrainState<CounterState>(new CounterState { Value = i }))).ToArray();

        foreach (var write in writes)
        {
            var failure = await Assert.ThrowsAsync<StorageUnavailableException>(() => write);
            Assert.Contains("grain storage unavailable (write counter", failure.Message);
        }
        var read = await Assert.ThrowsAsync<StorageUnavailableException>(() =>
            mapped.ReadStateAsync("counter", GrainId.Create("counter", "s-1"), new GrainState<CounterState>(new CounterState())));
        Assert.Contains("grain storage unavailable (read counter", read.Message);
        Assert.Equal(0, groups.Groups);
    }

    private static GrainId Grain(string key) => key switch
    {
        "string" => GrainId.Create("counter", "session-7"),
        "guid" => GrainId.Create(GrainType.Create("counter"), GrainIdKeyExtensions.CreateGuidKey(Guid.Parse("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"))),
        "guid+extension" => GrainId.Create(GrainType.Create("counter"), GrainIdKeyExtensions.CreateGuidKey(Guid.Parse("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"), "ext")),
        "integer" => GrainId.Create(GrainType.Create("counter"), GrainIdKeyExtensions.CreateIntegerKey(-42)),
        "integer+extension" => GrainId.Create(GrainType.Create("counter"), GrainIdKeyExtensions.CreateIntegerKey(42, "ext")),
        _ => throw new ArgumentOutOfRangeException(nameof(key), key, "no such key kind"),
    };

    /// <summary>A silo with Orleans' ADO.NET storage on a fresh migrated database, and group commit over it.</summary>
    private sealed class Silo : IAsyncDisposable
    {
        private readonly Microsoft.Extensions.Hosting.IHost _host;
        private readonly string _database;

        private Silo(Microsoft.Extensions.Hosting.IHost host, string database)
        {
            _host = host;
            _database = database;
            Provider = host.Services.GetRequiredKeyedService<IGrainStorage>(StorageName);
            ServiceId = host.Services.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId;
            Serializer = host.Services.GetRequiredService<IOptionsMonitor<AdoNetGrainStorageOptions>>().Get(StorageName).GrainStorageSerializer;
            Groups = PostgresCommandGroups.Create(database);
            Activators = host.Services.GetRequiredService<IActivatorProvider>();
            GroupCommit = new GroupCommitGrainStorage(Provider, Groups, ServiceId, Serializer, Activators);
        }

        public IGrainStorage Provider { get; }
        public PostgresCommandGroups Groups { get; }
        public GroupCommitGrainStorage GroupCommit { get; }
        public string ServiceId { get; }
        public IGrainStorageSerializer Serializer { get; }
        public IActivatorProvider Activators { get; }

        public static async Task<Silo> Start(PostgresFixture postgres)
        {
            var database = await postgres.CreateDatabaseAsync();
            await SqlMigrator.ApplyAsync(database, EmbeddedMigrations.Load());
            return new Silo(await StartSiloAsync(database, "granary-test-" + Guid.NewGuid().ToString("N")[..8], "only"), database);
        }

        public Task<long> Rows() => Sql.ScalarAsync<long>(_database, "SELECT count(*) FROM OrleansStorage");

        public async ValueTask DisposeAsync()
        {
            await Groups.DisposeAsync();
            await StopAsync(_host);
        }
    }
}
