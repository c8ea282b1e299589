using Granary.PlatformTests.Infrastructure;
using Granary.Silo.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime.MembershipService;
using Orleans.Storage;
using static Granary.PlatformTests.Postgres.OrleansPostgresHosts;

namespace Granary.PlatformTests.Postgres;

/// <summary>
/// The real Orleans 10.4 ADO.NET providers against a database that `migrate` prepared: silos join
/// through the membership table, grain state and reminders outlive the silo that wrote them.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class OrleansAdoNetProviderTests(PostgresFixture postgres)
{
    private const int Active = 3;
    private const int Dead = 6;

    [Fact]
    public async Task Grain_state_and_reminders_survive_a_silo_restart_and_membership_tracks_both_silos()
    {
        var database = await MigratedDatabaseAsync();
        var clusterId = NewClusterId();

        var first = await StartSiloAsync(database, clusterId, "first");
        var client = await StartClientAsync(database, clusterId);
        var counter = client.Services.GetRequiredService<IClusterClient>().GetGrain<ICounterGrain>("session-42");
        Assert.Equal(5, await counter.Add(5));
        Assert.Equal(7, await counter.Add(2));
        await counter.Remind();

        var firstRow = Assert.Single(await MembersAsync(database, clusterId));
        Assert.Equal(("first", Active), (firstRow.SiloName, firstRow.Status));
        Assert.True(firstRow.ProxyPort > 0);
        var stored = Assert.Single(await StorageRowsAsync(database, clusterId));
        Assert.Equal(2, stored.Version);
        Assert.True(stored.HasPayload);
        var reminder = Assert.Single(await ReminderRowsAsync(database, clusterId));
        Assert.Contains("session-42", reminder.GrainId);
        Assert.Equal("tick", reminder.ReminderName);

        await StopAsync(client);
        await StopAsync(first);
        Assert.Equal(Dead, Assert.Single(await MembersAsync(database, clusterId)).Status);

        var second = await StartSiloAsync(database, clusterId, "second");
        client = await StartClientAsync(database, clusterId);
        counter = client.Services.GetRequiredService<IClusterClient>().GetGrain<ICounterGrain>("session-42");

        Assert.Equal(7, await counter.Get());
        Assert.True(await counter.HasReminder());
        var members = await MembersAsync(database, clusterId);
        Assert.Equal([("first", Dead), ("second", Active)], members.Select(m => (m.SiloName, m.Status)).Order());

        await counter.Forget();
        Assert.Empty(await ReminderRowsAsync(database, clusterId));

        await counter.Clear();
        var cleared = Assert.Single(await StorageRowsAsync(database, clusterId));
        Assert.False(cleared.HasPayload);
        Assert.Equal(3, cleared.Version);
        Assert.Equal(0, await counter.Get());

        await StopAsync(client);
        await StopAsync(second);
    }

    [Fact]
    public async Task A_write_from_a_stale_or_second_first_version_is_refused_and_changes_nothing()
    {
        var database = await MigratedDatabaseAsync();
        var clusterId = NewClusterId();
        var silo = await StartSiloAsync(database, clusterId, "only");
        var storage = silo.Services.GetRequiredKeyedService<IGrainStorage>(StorageName);
        var grain = GrainId.Create("counter", "session-7");

        var current = new GrainState<CounterState>(new CounterState { Value = 1 });
        await storage.WriteStateAsync("counter", grain, current);
        var rival = new GrainState<CounterState>(new CounterState { Value = 9 });
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("counter", grain, rival));

        var stale = new GrainState<CounterState>(new CounterState { Value = 9 }) { ETag = current.ETag };
        current.State = new CounterState { Value = 2 };
        await storage.WriteStateAsync("counter", grain, current);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("counter", grain, stale));

        var read = new GrainState<CounterState>(new CounterState());
        await storage.ReadStateAsync("counter", grain, read);
        Assert.Equal((2, "2"), (read.State!.Value, read.ETag));
        await StopAsync(silo);
    }

    [Fact]
    public async Task Two_silos_join_one_cluster_through_the_membership_table()
    {
        var database = await MigratedDatabaseAsync();
        var clusterId = NewClusterId();

        var silos = await Task.WhenAll(
            StartSiloAsync(database, clusterId, "silo-a"),
            StartSiloAsync(database, clusterId, "silo-b"));
        try
        {
            var members = await MembersAsync(database, clusterId);
            Assert.Equal([("silo-a", Active), ("silo-b", Active)], members.Select(m => (m.SiloName, m.Status)).Order());

            // Each silo learns of the other from the table; wait for both views to converge.
            foreach (var silo in silos)
            {
                var management = silo.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
                Assert.Equal(2, await WaitForAsync(async () => (await management.GetHosts(onlyActive: true)).Count, count => count == 2));
            }

            var version = await Sql.ScalarAsync<int>(database,
                "SELECT Version FROM OrleansMembershipVersionTable WHERE DeploymentId = @id", ("id", clusterId));
            Assert.True(version >= 4, $"version {version}: each silo inserts itself (Joining) and then updates itself (Active)");
        }
        finally
        {
            foreach (var silo in silos)
            {
                await StopAsync(silo);
            }
        }
    }

    [Fact]
    public async Task Membership_writes_need_the_current_version_and_change_nothing_when_they_lose()
    {
        var database = await MigratedDatabaseAsync();
        var table = ClusteringTable(database, NewClusterId());
        await table.InitializeMembershipTableAsync(tryInitTableVersion: true);
        var start = new DateTime(2030, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc);
        var a = Entry(11111, start, SiloStatus.Joining);

        var empty = await table.ReadAllAsync();
        Assert.Empty(empty.Members);
        Assert.True(await table.InsertRowAsync(a, empty.Version.Next()));
        var afterInsert = await table.ReadAllAsync();
        Assert.Equal(empty.Version.Version + 1, afterInsert.Version.Version);

        // A stale table version: refused, and neither the row nor the version appears.
        Assert.False(await table.InsertRowAsync(Entry(22222, start, SiloStatus.Joining), empty.Version.Next()));
        // The member already exists: refused, and the version bump is rolled back.
        Assert.False(await table.InsertRowAsync(a, afterInsert.Version.Next()));
        // An update of a member that does not exist: refused, version unchanged.
        Assert.False(await table.UpdateRowAsync(Entry(33333, start, SiloStatus.Active), "0", afterInsert.Version.Next()));
        var unchanged = await table.ReadAllAsync();
        Assert.Equal(afterInsert.Version.Version, unchanged.Version.Version);
        Assert.Single(unchanged.Members);

        a.Status = SiloStatus.Dead;
        a.IAmAliveTime = start.AddMinutes(1);
        a.SuspectTimes = [Tuple.Create(SiloAddress.New(System.Net.IPAddress.Loopback, 44444, 1), start.AddSeconds(30))];
        Assert.True(await table.UpdateRowAsync(a, unchanged.Members[0].Item2, unchanged.Version.Next()));
        var (row, _) = Assert.Single((await table.ReadRowAsync(a.SiloAddress)).Members);
        Assert.Equal(SiloStatus.Dead, row.Status);
        Assert.Equal(start, row.StartTime);
        Assert.Equal(start.AddMinutes(1), row.IAmAliveTime);
        Assert.Equal(a.SuspectTimes[0].Item1, Assert.Single(row.SuspectTimes!).Item1);

        // Heartbeats write IAmAliveTime only and leave the version alone.
        var beforeHeartbeat = await table.ReadAllAsync();
        a.IAmAliveTime = start.AddMinutes(2);
        await table.UpdateIAmAliveAsync(a);
        var afterHeartbeat = await table.ReadAllAsync();
        Assert.Equal(beforeHeartbeat.Version.Version, afterHeartbeat.Version.Version);
        Assert.Equal(start.AddMinutes(2), afterHeartbeat.Members[0].Item1.IAmAliveTime);

        // Cleanup keeps a Dead member that was alive after the cut-off, removes it after that.
        await table.CleanupDefunctSiloEntriesAsync(new DateTimeOffset(start.AddMinutes(1)));
        Assert.Single((await table.ReadAllAsync()).Members);
        await table.CleanupDefunctSiloEntriesAsync(new DateTimeOffset(start.AddMinutes(10)));
        Assert.Empty((await table.ReadAllAsync()).Members);
        Assert.Equal(afterHeartbeat.Version.Version, (await table.ReadAllAsync()).Version.Version);
    }

    private async Task<string> MigratedDatabaseAsync()
    {
        var database = await postgres.CreateDatabaseAsync();
        await SqlMigrator.ApplyAsync(database, EmbeddedMigrations.Load());
        return database;
    }

    private static string NewClusterId() => "granary-test-" + Guid.NewGuid().ToString("N")[..8];

    private static AdoNetClusteringTable ClusteringTable(string connectionString, string clusterId) =>
        new(
            new ServiceCollection().BuildServiceProvider(),
            Options.Create(new ClusterOptions { ClusterId = clusterId, ServiceId = clusterId }),
            Options.Create(new AdoNetClusteringSiloOptions { Invariant = Invariant, ConnectionString = connectionString }),
            NullLogger<AdoNetClusteringTable>.Instance);

    private static MembershipEntry Entry(int port, DateTime start, SiloStatus status) => new()
    {
        SiloAddress = SiloAddress.New(System.Net.IPAddress.Loopback, port, 1),
        SiloName = $"silo-{port}",
        HostName = "localhost",
        Status = status,
        ProxyPort = port + 1,
        StartTime = start,
        IAmAliveTime = start,
    };

    private static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        // A bound on waiting, not a speed assertion: membership gossip normally converges in seconds.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }

            await Task.Delay(200);
        }
    }

    private sealed record Member(string SiloName, int Status, int ProxyPort);

    private static async Task<List<Member>> MembersAsync(string database, string clusterId) =>
        (await Sql.RowsAsync(database,
            "SELECT SiloName, Status, ProxyPort FROM OrleansMembershipTable WHERE DeploymentId = @id ORDER BY SiloName",
            ("id", clusterId)))
        .Select(r => new Member((string)r[0]!, (int)r[1]!, (int)r[2]!))
        .ToList();

    private sealed record StoredState(int Version, bool HasPayload);

    private static async Task<List<StoredState>> StorageRowsAsync(string database, string serviceId) =>
        (await Sql.RowsAsync(database,
            "SELECT Version, PayloadBinary IS NOT NULL FROM OrleansStorage WHERE ServiceId = @id",
            ("id", serviceId)))
        .Select(r => new StoredState((int)r[0]!, (bool)r[1]!))
        .ToList();

    private sealed record Reminder(string GrainId, string ReminderName);

    private static async Task<List<Reminder>> ReminderRowsAsync(string database, string serviceId) =>
        (await Sql.RowsAsync(database,
            "SELECT GrainId, ReminderName FROM OrleansRemindersTable WHERE ServiceId = @id",
            ("id", serviceId)))
        .Select(r => new Reminder((string)r[0]!, (string)r[1]!))
        .ToList();
}
