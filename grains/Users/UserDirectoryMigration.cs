namespace Granary.Users;

/// <summary>
/// State stored before users had ids kept one key hash on each user. Such a user gets an id now and its key becomes
/// a key named "default": the same secret keeps working, and the name stops being the identity from here on.
/// </summary>
public static class UserDirectoryMigration
{
    public const string MigratedKeyName = "default";

    /// <summary>True when it changed the state.</summary>
    public static bool GiveIdsAndKeys(UserDirectoryState state)
    {
        var changed = false;
        foreach (var user in state.Users.Values.Where(u => string.IsNullOrEmpty(u.Id) || u.LegacyKeyHash is not null).ToList())
        {
            var migrated = user with { Id = string.IsNullOrEmpty(user.Id) ? UserIds.NewApiUser() : user.Id, LegacyKeyHash = null };
            if (user.LegacyKeyHash is { } hash && !state.KeysByHash.ContainsKey(hash))
            {
                state.KeysByHash = state.KeysByHash.SetItem(hash,
                    new ApiKeyRecord("k" + migrated.Id[1..9], migrated.Id, MigratedKeyName, hash, user.CreatedAt, null));
            }

            state.Users[user.Name] = migrated;
            changed = true;
        }

        return changed;
    }
}
