using Granary.PlatformTests.Infrastructure;
using Granary.Silo.Migrations;
using Npgsql;

namespace Granary.PlatformTests.Postgres;

[Collection(PostgresCollection.Name)]
public sealed class MigrateTests(PostgresFixture postgres)
{
    /// <summary>Every key Microsoft.Orleans.{Clustering,Persistence,Reminders}.AdoNet 10.4 reads.</summary>
    private static readonly string[] OrleansQueryKeys =
    [
        "CleanupDefunctSiloEntriesKey", "CleanupDefunctSiloEntryKey", "ClearStorageKey",
        "DeleteMembershipTableEntriesKey", "DeleteReminderRowKey", "DeleteReminderRowsKey", "DeleteStorageKey",
        "GatewaysQueryKey", "InsertMembershipKey", "InsertMembershipVersionKey", "MembershipReadAllKey",
        "MembershipReadRowKey", "ReadFromStorageKey", "ReadRangeRows1Key", "ReadRangeRows2Key", "ReadReminderRowKey",
        "ReadReminderRowsKey", "UpdateIAmAlivetimeKey", "UpdateMembershipKey", "UpsertReminderRowKey",
        "WriteToStorageKey",
    ];

    private static readonly string[] OrleansTables =
    [
        "orleansmembershiptable", "orleansmembershipversiontable", "orleansquery", "orleansreminderstable", "orleansstorage",
    ];

    [Fact]
    public void Embedded_scripts_are_exactly_the_deploy_sql_files_in_order()
    {
        var onDisk = Directory.GetFiles(RepositoryPaths.SqlDirectory, "*.sql")
            .Select(path => MigrationScript.FromText(Path.GetFileNameWithoutExtension(path), File.ReadAllText(path)))
            .OrderBy(s => s.Version, StringComparer.Ordinal)
            .ToList();

        var embedded = EmbeddedMigrations.Load();

        Assert.Equal(onDisk.Select(s => (s.Version, s.Checksum)), embedded.Select(s => (s.Version, s.Checksum)));
        Assert.Equal("0001_orleans_main", embedded[0].Version);
    }

    [Fact]
    public async Task Migrate_on_an_empty_database_applies_every_script_and_installs_the_orleans_catalogue()
    {
        var database = await postgres.CreateDatabaseAsync();
        var scripts = EmbeddedMigrations.Load();

        var report = await SqlMigrator.ApplyAsync(database, scripts);

        Assert.False(report.CreatedDatabase);
        Assert.All(report.Steps, step => Assert.Equal(MigrationOutcome.Applied, step.Outcome));
        Assert.Equal(scripts.Select(s => s.Version), report.Steps.Select(s => s.Version));

        var keys = await Sql.RowsAsync(database, "SELECT QueryKey FROM OrleansQuery ORDER BY QueryKey");
        Assert.Equal(OrleansQueryKeys.Order(StringComparer.Ordinal), keys.Select(r => (string)r[0]!));

        var tables = await Sql.RowsAsync(database,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'orleans%' ORDER BY 1");
        Assert.Equal(OrleansTables, tables.Select(r => (string)r[0]!));

        var history = await Sql.RowsAsync(database, "SELECT Version, Checksum FROM GranarySchemaHistory ORDER BY Version");
        Assert.Equal(scripts.Select(s => (s.Version, s.Checksum)), history.Select(r => ((string)r[0]!, (string)r[1]!)));
    }

    [Fact]
    public async Task Second_migrate_is_a_no_op()
    {
        var database = await postgres.CreateDatabaseAsync();
        var scripts = EmbeddedMigrations.Load();
        await SqlMigrator.ApplyAsync(database, scripts);
        var historyBefore = await Sql.RowsAsync(database, "SELECT Version, Checksum, AppliedOn FROM GranarySchemaHistory ORDER BY Version");
        var catalogueBefore = await Sql.RowsAsync(database, "SELECT QueryKey, QueryText FROM OrleansQuery ORDER BY QueryKey");

        var report = await SqlMigrator.ApplyAsync(database, scripts);

        Assert.All(report.Steps, step => Assert.Equal(MigrationOutcome.Unchanged, step.Outcome));
        Assert.Equal(scripts.Count, report.Steps.Count);
        Assert.Equal(historyBefore, await Sql.RowsAsync(database, "SELECT Version, Checksum, AppliedOn FROM GranarySchemaHistory ORDER BY Version"));
        Assert.Equal(catalogueBefore, await Sql.RowsAsync(database, "SELECT QueryKey, QueryText FROM OrleansQuery ORDER BY QueryKey"));
    }

    [Fact]
    public async Task Every_script_can_be_applied_twice_over_itself()
    {
        // The scripts themselves are idempotent, not only the history: a changed script is re-run
        // on a database that already has its objects, so each must survive that.
        var database = await postgres.CreateDatabaseAsync();
        var scripts = EmbeddedMigrations.Load();
        await SqlMigrator.ApplyAsync(database, scripts);
        var edited = scripts.Select(s => MigrationScript.FromText(s.Version, s.Sql + "\n-- edited\n")).ToList();

        var report = await SqlMigrator.ApplyAsync(database, edited);

        Assert.All(report.Steps, step => Assert.Equal(MigrationOutcome.Reapplied, step.Outcome));
        var checksums = await Sql.RowsAsync(database, "SELECT Checksum FROM GranarySchemaHistory ORDER BY Version");
        Assert.Equal(edited.Select(s => s.Checksum), checksums.Select(r => (string)r[0]!));
        Assert.Equal(OrleansQueryKeys.Length, await Sql.ScalarAsync<int>(database, "SELECT count(*) FROM OrleansQuery"));
    }

    [Fact]
    public async Task A_failing_script_is_rolled_back_and_not_recorded()
    {
        var database = await postgres.CreateDatabaseAsync();
        var scripts = new[]
        {
            MigrationScript.FromText("0001_good", "CREATE TABLE IF NOT EXISTS good_table (x integer);"),
            MigrationScript.FromText("0002_bad", "CREATE TABLE half_done (x integer);\nSELECT no_such_function();"),
            MigrationScript.FromText("0003_after", "CREATE TABLE after_table (x integer);"),
        };

        var error = await Assert.ThrowsAsync<MigrationFailedException>(() => SqlMigrator.ApplyAsync(database, scripts));

        Assert.Equal("0002_bad", error.Version);
        Assert.Contains("no_such_function", error.Message);
        var tables = await Sql.RowsAsync(database,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'granaryschemahistory' ORDER BY 1");
        Assert.Equal(["good_table"], tables.Select(r => (string)r[0]!));
        var history = await Sql.RowsAsync(database, "SELECT Version FROM GranarySchemaHistory ORDER BY Version");
        Assert.Equal(["0001_good"], history.Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task Migrate_creates_a_database_that_does_not_exist()
    {
        var database = postgres.NewDatabaseConnectionString();

        var report = await SqlMigrator.ApplyAsync(database, EmbeddedMigrations.Load());

        Assert.True(report.CreatedDatabase);
        Assert.All(report.Steps, step => Assert.Equal(MigrationOutcome.Applied, step.Outcome));
        Assert.Equal(OrleansQueryKeys.Length, await Sql.ScalarAsync<int>(database, "SELECT count(*) FROM OrleansQuery"));
    }

    [Fact]
    public async Task Concurrent_migrators_apply_each_script_once()
    {
        var database = await postgres.CreateDatabaseAsync();
        var scripts = EmbeddedMigrations.Load();

        var reports = await Task.WhenAll(
            Enumerable.Range(0, 3).Select(_ => Task.Run(() => SqlMigrator.ApplyAsync(database, scripts))));

        foreach (var script in scripts)
        {
            var outcomes = reports.Select(r => r.Steps.Single(s => s.Version == script.Version).Outcome).ToList();
            Assert.Equal(1, outcomes.Count(o => o == MigrationOutcome.Applied));
            Assert.Equal(2, outcomes.Count(o => o == MigrationOutcome.Unchanged));
        }
    }

    [Fact]
    public async Task The_migrate_verb_takes_the_connection_from_its_arguments_and_can_run_again()
    {
        var database = await postgres.CreateDatabaseAsync();

        Assert.Equal(0, await MigrateCommand.RunAsync(["--connection", database]));
        Assert.Equal(0, await MigrateCommand.RunAsync(["migrate", $"--connection={database}"]));

        var history = await Sql.ScalarAsync<int>(database, "SELECT count(*) FROM GranarySchemaHistory");
        Assert.Equal(EmbeddedMigrations.Load().Count, history);
    }

    [Fact]
    public async Task The_migrate_verb_reports_an_unreachable_server_with_exit_code_1()
    {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        var unreachable = new NpgsqlConnectionStringBuilder(postgres.ServerConnectionString) { Port = 1, Timeout = 3 }.ConnectionString;

        Assert.Equal(1, await MigrateCommand.RunAsync(["--connection", unreachable]));
    }

    [Fact]
    public void The_connection_option_wins_over_configuration()
    {
        Assert.Equal("Host=a", MigrateCommand.ResolveConnectionString(["--connection", "Host=a"]));
        Assert.Equal("Host=b;Port=2", MigrateCommand.ResolveConnectionString(["--connection=Host=b;Port=2"]));
        Assert.Equal("Host=c", MigrateCommand.ResolveConnectionString(["--Granary:Database:ConnectionString=Host=c"]));
    }
}
