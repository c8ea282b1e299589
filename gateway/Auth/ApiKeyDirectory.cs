using Granary.Users;
using Microsoft.Extensions.Options;

namespace Granary.Gateway.Auth;

/// <summary>Finds the user an API key belongs to: the admin key, configured users, then API-created users.</summary>
public sealed class ApiKeyDirectory
{
    private readonly AdminKeyStore _adminKey;
    private readonly IGrainFactory _grains;
    private readonly Dictionary<string, GranaryUser> _configured;

    public ApiKeyDirectory(AdminKeyStore adminKey, IGrainFactory grains, IOptions<GranaryAuthOptions> options)
    {
        _adminKey = adminKey;
        _grains = grains;
        _configured = ConfiguredUsers(options.Value.Users);
    }

    public IEnumerable<GranaryUser> ConfiguredUsersList => _configured.Values;

    public bool IsReservedName(string name)
        => name == Roles.AdminUserName || _configured.Values.Any(u => u.Name == name);

    public Task<GranaryUser?> Find(string key) => FindByHash(ApiKeys.Hash(key));

    /// <summary>The user whose key has this hash (browser cookies name keys by hash, never hold them).</summary>
    public async Task<GranaryUser?> FindByHash(string hash)
    {
        if (ApiKeys.HashesEqual(hash, ApiKeys.Hash(_adminKey.Key)))
        {
            return new GranaryUser(Roles.AdminUserName, Roles.Admin, "admin-key");
        }

        if (_configured.TryGetValue(hash, out var user))
        {
            return user;
        }

        var record = await _grains.GetGrain<IUserDirectoryGrain>(IUserDirectoryGrain.Key).FindByKeyHash(hash);
        return record is null ? null : new GranaryUser(record.Name, record.Role, "api");
    }

    private static Dictionary<string, GranaryUser> ConfiguredUsers(IEnumerable<ConfiguredUser> users)
    {
        var byHash = new Dictionary<string, GranaryUser>();
        var names = new HashSet<string>();
        foreach (var user in users)
        {
            var where = $"{GranaryAuthOptions.Section}:Users ({user.Name})";
            if (!UserNames.IsValid(user.Name) || user.Name == Roles.AdminUserName || !names.Add(user.Name))
            {
                throw new InvalidOperationException($"{where}: the name must be unique, not \"admin\", and match {UserNames.Pattern}.");
            }

            if (!Roles.IsKnown(user.Role))
            {
                throw new InvalidOperationException($"{where}: the role must be \"user\" or \"admin\".");
            }

            if (user.Key.Length < 16)
            {
                throw new InvalidOperationException($"{where}: the key must have at least 16 characters.");
            }

            if (!byHash.TryAdd(ApiKeys.Hash(user.Key), new GranaryUser(user.Name, user.Role, "configuration")))
            {
                throw new InvalidOperationException($"{where}: two users have the same key.");
            }
        }

        return byHash;
    }
}
