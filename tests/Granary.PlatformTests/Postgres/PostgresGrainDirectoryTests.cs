using System.Net;
using System.Security.Cryptography;
using Granary.PlatformTests.Infrastructure;
using Granary.Silo.Adapters.Storage;
using Granary.Silo.Migrations;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;

namespace Granary.PlatformTests.Postgres;

/// <summary>
/// The grain directory in PostgreSQL against a migrated database: one activation per grain, replaced only when the
/// caller names the entry it replaces, removed only by its own activation or with its silo, one cluster's entries
/// apart from another's, and a database outage reported as storage unavailable.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresGrainDirectoryTests(PostgresFixture postgres)
{
    private static readonly SiloAddress SiloA = SiloAddress.New(IPAddress.Loopback, 11111, 1);
    private static readonly SiloAddress SiloB = SiloAddress.New(IPAddress.Loopback, 11112, 1);

    [Fact]
    public async Task The_first_activation_registered_wins_and_lookups_find_it()
    {
        var directory = Directory(await MigratedDatabaseAsync(), "c1");
        var first = Address("session/1", SiloA, version: 3);
        var second = Address("session/1", SiloB, version: 4);

        AssertSame(first, await directory.Register(first));
        AssertSame(first, await directory.Register(second));
        AssertSame(first, await directory.Lookup(first.GrainId));
        Assert.Null(await directory.Lookup(GrainId.Parse("session/2")));
    }

    [Fact]
    public async Task An_entry_is_replaced_only_by_naming_it_as_the_previous_one()
    {
        var directory = Directory(await MigratedDatabaseAsync(), "c1");
        var dead = Address("session/1", SiloA, version: 3);
        var stale = Address("session/1", SiloA, version: 2);
        var fresh = Address("session/1", SiloB, version: 5);
        await directory.Register(dead);

        AssertSame(dead, await directory.Register(fresh, stale));
        AssertSame(fresh, await directory.Register(fresh, dead));
        AssertSame(fresh, await directory.Lookup(fresh.GrainId));
    }

    [Fact]
    public async Task Only_its_own_activation_or_its_silo_removes_an_entry()
    {
        var database = await MigratedDatabaseAsync();
        var directory = Directory(database, "c1");
        var onA = Address("session/1", SiloA, version: 1);
        var alsoOnA = Address("session/2", SiloA, version: 1);
        var onB = Address("session/3", SiloB, version: 1);
        foreach (var address in new[] { onA, alsoOnA, onB })
        {
            await directory.Register(address);
        }

        await directory.Unregister(Address("session/1", SiloA, version: 1)); // another activation of the same grain
        AssertSame(onA, await directory.Lookup(onA.GrainId));
        await directory.Unregister(onA);
        Assert.Null(await directory.Lookup(onA.GrainId));

        await directory.UnregisterSilos([SiloA]);
        Assert.Null(await directory.Lookup(alsoOnA.GrainId));
        AssertSame(onB, await directory.Lookup(onB.GrainId));
    }

    [Fact]
    public async Task Clusters_sharing_a_database_do_not_see_each_others_entries()
    {
        var database = await MigratedDatabaseAsync();
        var one = Directory(database, "c1");
        var other = Directory(database, "c2");
        var inOne = Address("session/1", SiloA, version: 1);
        var inOther = Address("session/1", SiloB, version: 1);

        AssertSame(inOne, await one.Register(inOne));
        AssertSame(inOther, await other.Register(inOther));
        await other.UnregisterSilos([SiloA, SiloB]);

        AssertSame(inOne, await one.Lookup(inOne.GrainId));
        Assert.Null(await other.Lookup(inOther.GrainId));
    }

    [Fact]
    public async Task Activations_registering_one_grain_at_once_all_get_the_same_winner()
    {
        var directory = Directory(await MigratedDatabaseAsync(), "c1");
        var contenders = Enumerable.Range(0, 8).Select(i => Address("session/1", i % 2 == 0 ? SiloA : SiloB, version: i)).ToArray();

        var results = await Task.WhenAll(contenders.Select(c => directory.Register(c)));

        var winner = Assert.Single(results.Select(r => r!.ActivationId).Distinct());
        Assert.Contains(contenders, c => c.ActivationId == winner);
        Assert.Equal(winner, (await directory.Lookup(contenders[0].GrainId))!.ActivationId);
    }

    [Fact]
    public async Task A_grain_with_a_key_longer_than_an_index_entry_is_registered_like_any_other()
    {
        var directory = Directory(await MigratedDatabaseAsync(), "c1");
        // Random, so that PostgreSQL cannot compress it under its ~2.7 KB limit for an index entry.
        var key = Convert.ToHexString(RandomNumberGenerator.GetBytes(2000));
        var longKey = Address("folder/" + key, SiloA, version: 1);

        AssertSame(longKey, await directory.Register(longKey));
        AssertSame(longKey, await directory.Lookup(longKey.GrainId));
        await directory.Unregister(longKey);
        Assert.Null(await directory.Lookup(longKey.GrainId));
    }

    [Fact]
    public async Task An_address_without_an_activation_removes_whatever_its_silo_holds_for_the_grain()
    {
        var directory = Directory(await MigratedDatabaseAsync(), "c1");
        var onA = Address("session/1", SiloA, version: 1);
        await directory.Register(onA);

        await directory.Unregister(new GrainAddress { GrainId = onA.GrainId, SiloAddress = SiloB });
        AssertSame(onA, await directory.Lookup(onA.GrainId));
        await directory.Unregister(new GrainAddress { GrainId = onA.GrainId, SiloAddress = SiloA });
        Assert.Null(await directory.Lookup(onA.GrainId));
    }

    [Fact]
    public async Task Registrations_that_arrive_together_share_round_trips_and_one_activation_wins_each_grain()
    {
        await using var groups = PostgresCommandGroups.Create(await MigratedDatabaseAsync());
        var directory = new PostgresGrainDirectory(groups, Options.Create(new ClusterOptions { ClusterId = "c1" }), NullLogger<PostgresGrainDirectory>.Instance);
        const int Grains = 200;
        var onA = Enumerable.Range(0, Grains).Select(i => Address($"session/{i}", SiloA, version: 3)).ToArray();
        var onB = Enumerable.Range(0, Grains).Select(i => Address($"session/{i}", SiloB, version: 3)).ToArray();

        var registered = await Task.WhenAll(onA.Concat(onB).Select(address => directory.Register(address)));

        Assert.InRange(groups.Groups, 1, Grains / 5); // 400 registrations and the losers' lookups
        for (var i = 0; i < Grains; i++)
        {
            var winner = registered[i]!;
            Assert.True(winner.ActivationId == onA[i].ActivationId || winner.ActivationId == onB[i].ActivationId, $"grain {i}");
            AssertSame(winner, registered[Grains + i]);
            AssertSame(winner, await directory.Lookup(onA[i].GrainId));
        }
    }

    [Fact]
    public async Task Removals_in_a_group_with_lookups_leave_every_lookup_its_own_entry()
    {
        // CI, 2026-12-04: a dead silo's removal returned no result set, so in its group each statement after it got
        // the next one's answer: another grain's state or directory entry.
        var database = await MigratedDatabaseAsync();
        var registering = Directory(database, "c1");
        var kept = Enumerable.Range(0, 12).Select(i => Address($"session/{i}", SiloA, version: 1)).ToArray();
        var removed = Enumerable.Range(12, 4).Select(i => Address($"session/{i}", SiloA, version: 1)).ToArray();
        var onDeadSilo = Enumerable.Range(16, 4).Select(i => Address($"session/{i}", SiloB, version: 1)).ToArray();
        foreach (var address in kept.Concat(removed).Concat(onDeadSilo))
        {
            await registering.Register(address);
        }
        await using var held = await HeldGroups.Start(database);
        var directory = new PostgresGrainDirectory(held.Groups, Options.Create(new ClusterOptions { ClusterId = "c1" }), NullLogger<PostgresGrainDirectory>.Instance);

        var silos = directory.UnregisterSilos([SiloB]);
        var removals = removed.Select(directory.Unregister).ToArray();
        var lookups = kept.Select(address => directory.Lookup(address.GrainId)).ToArray();
        await held.Release();

        await Task.WhenAll([silos, .. removals]);
        var found = await Task.WhenAll(lookups);
        for (var i = 0; i < kept.Length; i++)
        {
            AssertSame(kept[i], found[i]);
        }
        Assert.Equal(2, held.Groups.Groups);
        foreach (var address in removed.Concat(onDeadSilo))
        {
            Assert.Null(await registering.Lookup(address.GrainId));
        }
    }

    [Fact]
    public async Task An_unreachable_database_is_reported_as_storage_unavailable()
    {
        var unreachable = new NpgsqlConnectionStringBuilder(postgres.NewDatabaseConnectionString()) { Host = "127.0.0.1", Port = 1, Timeout = 2 };
        var directory = Directory(unreachable.ConnectionString, "c1");

        var failure = await Assert.ThrowsAsync<StorageUnavailableException>(() => directory.Lookup(GrainId.Parse("session/1")));

        Assert.Contains("grain directory unavailable (lookup session/1)", failure.Message);
        // Removing dead silos' entries does not throw (Orleans would stop following membership on this silo): they
        // are replaced when next met.
        await directory.UnregisterSilos([SiloA]);
    }

    [Fact]
    public async Task A_lookup_planned_before_the_table_has_statistics_uses_the_primary_key()
    {
        // Granary's pools auto-prepare, and a prepared statement keeps its first generic plan until the table's
        // statistics change: a plan through the silo index read the cluster's every entry on each lookup.
        await using var connection = new NpgsqlConnection(await MigratedDatabaseAsync());
        await connection.OpenAsync();

        var plan = await GenericPlanOfLookup(connection);

        Assert.Contains("Index Scan using pk_granary_grain_directory", plan);
    }

    [Fact]
    public async Task Autoanalyze_waits_until_the_table_is_large_enough_for_the_primary_key_to_win()
    {
        // Analyzed with a few dozen rows the lookup is planned as a sequential scan, and kept so while the table grows;
        // autoanalyze therefore waits for 1,000 changed rows, and at that size the plan is the primary key.
        await using var connection = new NpgsqlConnection(await MigratedDatabaseAsync());
        await connection.OpenAsync();
        var threshold = await Scalar(connection,
            "SELECT option_value FROM pg_options_to_table((SELECT reloptions FROM pg_class WHERE relname = 'granary_grain_directory')) " +
            "WHERE option_name = 'autovacuum_analyze_threshold'");
        Assert.Equal("1000", threshold);
        await Scalar(connection,
            "INSERT INTO granary_grain_directory (cluster_id, grain_hash, grain_id, silo_address, activation_id, membership_version) " +
            "SELECT 'c1', sha256(i::text::bytea), 'session/' || i, '127.0.0.1:11111@1', 'a', 1 FROM generate_series(1, " + threshold + ") i");
        await Scalar(connection, "ANALYZE granary_grain_directory");

        var plan = await GenericPlanOfLookup(connection);

        Assert.Contains("Index Scan using pk_granary_grain_directory", plan);
    }

    private static async Task<string> GenericPlanOfLookup(NpgsqlConnection connection)
    {
        await Scalar(connection, "SET plan_cache_mode = force_generic_plan");
        await Scalar(connection, $"PREPARE lookup(text, bytea) AS {PostgresGrainDirectory.LookupSql}");
        var plan = new List<string>();
        await using var explain = new NpgsqlCommand("EXPLAIN EXECUTE lookup('c1', '\\x00')", connection);
        await using var reader = await explain.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            plan.Add(reader.GetString(0));
        }
        return string.Join('\n', plan);
    }

    private static async Task<string?> Scalar(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (await command.ExecuteScalarAsync())?.ToString();
    }

    private async Task<string> MigratedDatabaseAsync()
    {
        var database = await postgres.CreateDatabaseAsync();
        await SqlMigrator.ApplyAsync(database, EmbeddedMigrations.Load());
        return database;
    }

    private static PostgresGrainDirectory Directory(string connectionString, string clusterId) =>
        new(PostgresCommandGroups.Create(connectionString), Options.Create(new ClusterOptions { ClusterId = clusterId }),
            NullLogger<PostgresGrainDirectory>.Instance);

    private static GrainAddress Address(string grainId, SiloAddress silo, long version) => new()
    {
        GrainId = GrainId.Parse(grainId),
        SiloAddress = silo,
        ActivationId = ActivationId.NewId(),
        MembershipVersion = new MembershipVersion(version),
    };

    private static void AssertSame(GrainAddress expected, GrainAddress? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.GrainId, actual.GrainId);
        Assert.Equal(expected.SiloAddress, actual.SiloAddress);
        Assert.Equal(expected.ActivationId, actual.ActivationId);
        Assert.Equal(expected.MembershipVersion, actual.MembershipVersion);
    }
}
