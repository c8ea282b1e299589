using Granary.Users;

namespace Granary.UnitTests.Users;

public sealed class UserDirectoryMigrationTests
{
    [Fact]
    public void Users_stored_before_ids_get_an_id_and_their_key_becomes_a_key_record()
    {
        var created = DateTimeOffset.Parse("2026-01-01T00:00:00Z");
        var state = new UserDirectoryState();
        state.Users["alice"] = new UserRecord("alice", "user", "abc123", created);

        Assert.True(UserDirectoryMigration.GiveIdsAndKeys(state));

        var alice = state.Users["alice"];
        Assert.True(UserIds.IsWellFormed(alice.Id));
        Assert.False(UserIds.IsExternal(alice.Id));
        Assert.Null(alice.LegacyKeyHash);
        var key = Assert.Single(state.KeysByHash).Value;
        Assert.Equal((alice.Id, "abc123", UserDirectoryMigration.MigratedKeyName, created), (key.UserId, key.Hash, key.Name, key.CreatedAt));
        Assert.False(UserDirectoryMigration.GiveIdsAndKeys(state));
    }

    [Fact]
    public void Ids_never_look_like_user_names_and_are_new_each_time()
    {
        var ids = Enumerable.Range(0, 100).Select(_ => UserIds.NewApiUser()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, id => Assert.True(char.IsAsciiLetterUpper(id[0]) && UserIds.IsWellFormed(id)));
        Assert.Equal("C-alice", UserIds.Configured("alice"));
        Assert.False(UserIds.IsWellFormed("alice"));
    }
}
