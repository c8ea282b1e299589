using Granary.Users;
using Microsoft.Extensions.Options;

namespace Granary.Gateway.Auth;

/// <summary>
/// Finds the user an API key belongs to: the admin key, configured users' keys, then the cluster's user directory
/// through this gateway's <see cref="ApiKeyCache"/> (which the directory empties before a revocation returns, so a
/// deleted key or user is refused by every gateway from the next request on).
/// </summary>
public sealed class ApiKeyDirectory
{
    public const string AdminKeyId = "admin-key";
    public const string ConfiguredKeyId = "configuration";

    private readonly AdminKeyStore _adminKey;
    private readonly IGrainFactory _grains;
    private readonly ApiKeyCache _cache;
    private readonly TimeProvider _clock;
    private readonly Dictionary<string, GranaryUser> _configured;

    public ApiKeyDirectory(AdminKeyStore adminKey, IGrainFactory grains, ApiKeyCache cache, TimeProvider clock, IOptions<GranaryAuthOptions> options)
    {
        _adminKey = adminKey;
        _grains = grains;
        _cache = cache;
        _clock = clock;
        _configured = ConfiguredUsers(options.Value.Users);
    }

    public static GranaryUser Admin { get; } = new(UserIds.Admin, Roles.AdminUserName, Roles.Admin, "admin-key", AdminKeyId);

    public IEnumerable<GranaryUser> ConfiguredUsersList => _configured.Values;

    public bool IsReservedName(string name)
        => name == Roles.AdminUserName || _configured.Values.Any(u => u.Name == name);

    /// <summary>The admin or a configured user by name; null for anyone else.</summary>
    public GranaryUser? External(string name)
        => name == Roles.AdminUserName ? Admin : _configured.Values.FirstOrDefault(u => u.Name == name);

    public Task<KeyLookup> Find(string key) => FindByHash(ApiKeys.Hash(key));

    /// <summary>The user whose key has this hash (browser cookies name keys by hash, never hold them).</summary>
    public async Task<KeyLookup> FindByHash(string hash)
    {
        if (ApiKeys.HashesEqual(hash, ApiKeys.Hash(_adminKey.Key)))
        {
            return new KeyLookup(Admin, null);
        }

        if (_configured.TryGetValue(hash, out var configured))
        {
            return new KeyLookup(configured, null);
        }

        if (!_cache.TryGet(hash, out var resolved))
        {
            var resolution = await _grains.GetGrain<IUserDirectoryGrain>(IUserDirectoryGrain.Key).Resolve(hash);
            _cache.Keep(hash, resolution);
            resolved = resolution.Found;
        }

        if (resolved is null)
        {
            return new KeyLookup(null, "The API key is not valid.");
        }

        if (resolved.Key.IsExpired(_clock.GetUtcNow()))
        {
            return new KeyLookup(null, "The API key has expired.");
        }

        var keyId = resolved.Key.Id;
        if (resolved.User is { } user)
        {
            return new KeyLookup(new GranaryUser(user.Id, user.Name, user.Role, "api", keyId, user.Policy, user.ResourceGroups, user.MaxPriority), null);
        }

        var external = resolved.Key.UserId == UserIds.Admin ? Admin : _configured.Values.FirstOrDefault(u => u.Id == resolved.Key.UserId);
        return external is null
            ? new KeyLookup(null, "The API key's user is no longer configured.")
            : new KeyLookup(external with { KeyId = keyId }, null);
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

            var configured = new GranaryUser(UserIds.Configured(user.Name), user.Name, user.Role, "configuration", ConfiguredKeyId,
                user.Policy, user.ResourceGroups?.ToArray(), user.MaxPriority);
            if (!byHash.TryAdd(ApiKeys.Hash(user.Key), configured))
            {
                throw new InvalidOperationException($"{where}: two users have the same key.");
            }
        }

        return byHash;
    }
}

/// <summary>The key's user, or why the key is refused.</summary>
public sealed record KeyLookup(GranaryUser? User, string? Refusal);
