using Granary.PlatformTests.Infrastructure;
using Granary.Silo.Adapters.Storage;
using Npgsql;

namespace Granary.PlatformTests.Postgres;

/// <summary>
/// PostgresCommandGroups' answers: each caller gets its own statement's result or an error, never another's.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresCommandGroupsTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_statement_without_a_result_set_fails_its_group_instead_of_shifting_the_answers_after_it()
    {
        await using var held = await HeldGroups.Start(await postgres.CreateDatabaseAsync());
        var selects = Selects(held.Groups);
        // Sorted first in its group; Npgsql's reader passes over a statement that returns no result set.
        var silent = held.Groups.Run(new NpgsqlBatchCommand("DO $$ BEGIN END $$"), "a", _ => Task.FromResult(-1));

        await held.Release();

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => silent);
        Assert.Contains("result sets", failure.Message);
        for (var i = 0; i < selects.Length; i++)
        {
            var answer = await Answer(selects[i]);
            Assert.True(answer == i.ToString() || answer.Contains("result sets"), $"SELECT {i} answered {answer}");
        }
    }

    [Fact]
    public async Task Statements_that_each_return_a_result_set_all_get_their_own_answers_in_one_group()
    {
        await using var held = await HeldGroups.Start(await postgres.CreateDatabaseAsync());
        var selects = Selects(held.Groups);
        var counted = held.Groups.Run(new NpgsqlBatchCommand("WITH none AS (SELECT 1 WHERE false) SELECT count(*)::int FROM none"), "a", ReadInt);

        await held.Release();

        Assert.Equal(0, await counted);
        Assert.Equal(Enumerable.Range(0, 20), await Task.WhenAll(selects));
        Assert.InRange(held.Groups.Groups, 2, 3); // the statement holding the pool, then the rest together
    }

    /// <summary>SELECT 0 to SELECT 19, each answering its number.</summary>
    private static Task<int>[] Selects(PostgresCommandGroups groups) => Enumerable.Range(0, 20)
        .Select(i => groups.Run(new NpgsqlBatchCommand($"SELECT {i}"), $"b{i:D2}", ReadInt))
        .ToArray();

    /// <summary>-1 when there is no row: a read that threw would fail the group by itself and hide a shift.</summary>
    private static async Task<int> ReadInt(NpgsqlDataReader reader) =>
        await reader.ReadAsync() ? reader.GetInt32(0) : -1;

    private static async Task<string> Answer(Task<int> call)
    {
        try
        {
            return (await call).ToString();
        }
        catch (InvalidOperationException failure)
        {
            return failure.Message;
        }
    }
}
