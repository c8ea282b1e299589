using Granary.SiloPlacement;

namespace Granary.Users;

/// <summary>Keeps API-created users by name, found by the hash of their key.</summary>
[ManagerPlacement]
public sealed class UserDirectoryGrain(
    [PersistentState("users", GranaryStorage.Name)] IPersistentState<UserDirectoryState> state)
    : Grain, IUserDirectoryGrain
{

    public async Task<bool> Add(UserRecord user)
    {
        if (state.State.Users.ContainsKey(user.Name))
        {
            return false;
        }

        state.State.Users[user.Name] = user;
        await state.WriteStateAsync();
        return true;
    }

    public async Task<bool> Remove(string name)
    {
        if (!state.State.Users.Remove(name))
        {
            return false;
        }

        await state.WriteStateAsync();
        return true;
    }

    public Task<UserRecord?> FindByKeyHash(string keyHash)
        => Task.FromResult(state.State.Users.Values.FirstOrDefault(u => u.KeyHash == keyHash));

    public Task<IReadOnlyList<UserRecord>> List()
        => Task.FromResult<IReadOnlyList<UserRecord>>(state.State.Users.Values.OrderBy(u => u.Name, StringComparer.Ordinal).ToList());
}

[GenerateSerializer]
public sealed class UserDirectoryState
{
    [Id(0)] public Dictionary<string, UserRecord> Users { get; set; } = [];
}
