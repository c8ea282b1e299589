using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Granary.Gateway.Auth;
using Granary.Gateway.Hosting;
using Granary.Gateway.Http;
using Granary.Users;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Granary.Gateway.Users;

/// <summary>
/// API keys: a user may hold several, each with an id, a name and an optional expiry. Admins manage anyone's
/// (/v1/users/{name}/keys), everyone their own (/v1/me/keys). The secret is shown once, in the 201; only its SHA-256
/// is stored. A deleted key is refused by every gateway from the next request on (keys are looked up in the cluster
/// on every request, never cached); an expired key is refused.
/// </summary>
public static partial class KeysApi
{
    public const int MaxKeysPerUser = 100;

    public static IEndpointRouteBuilder MapKeysApi(this IEndpointRouteBuilder app)
    {
        var mine = app.MapGroup("/v1/me/keys").WithTags("Keys").RequireAuthorization();
        mine.MapPost("/", CreateMine).Accepts<CreateKeyRequest>("application/json");
        mine.MapGet("/", ListMine);
        mine.MapDelete("/{id}", DeleteMine);
        var anyone = app.MapGroup("/v1/users/{name}/keys").WithTags("Keys").RequireAuthorization(Roles.AdminPolicy);
        anyone.MapPost("/", Create).Accepts<CreateKeyRequest>("application/json");
        anyone.MapGet("/", List);
        anyone.MapDelete("/{id}", Delete);
        return app;
    }

    public static Task<Results<Created<CreatedKeyResponse>, ValidationProblem, ProblemHttpResult>> CreateMine(
        HttpRequest request, ClaimsPrincipal user, IGrainFactory grains, TimeProvider clock)
        => CreateFor(user.GetId(), "/v1/me/keys", request, grains, clock);

    public static async Task<Ok<KeyResponse[]>> ListMine(ClaimsPrincipal user, IGrainFactory grains, TimeProvider clock)
        => TypedResults.Ok(await KeysOf(grains, user.GetId(), clock));

    public static Task<Results<NoContent, ProblemHttpResult>> DeleteMine(string id, ClaimsPrincipal user, IGrainFactory grains)
        => DeleteFor(user.GetId(), id, grains);

    public static async Task<Results<Created<CreatedKeyResponse>, ValidationProblem, ProblemHttpResult>> Create(
        string name, HttpRequest request, IGrainFactory grains, ApiKeyDirectory directory, TimeProvider clock)
    {
        var user = await UsersApi.FindAny(grains, directory, name);
        return user is null
            ? Problems.NotFound("user", name)
            : await CreateFor(user.Id, $"/v1/users/{name}/keys", request, grains, clock);
    }

    public static async Task<Results<Ok<KeyResponse[]>, ProblemHttpResult>> List(
        string name, IGrainFactory grains, ApiKeyDirectory directory, TimeProvider clock)
    {
        var user = await UsersApi.FindAny(grains, directory, name);
        return user is null ? Problems.NotFound("user", name) : TypedResults.Ok(await KeysOf(grains, user.Id, clock));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(string name, string id, IGrainFactory grains, ApiKeyDirectory directory)
    {
        var user = await UsersApi.FindAny(grains, directory, name);
        return user is null ? Problems.NotFound("user", name) : await DeleteFor(user.Id, id, grains);
    }

    /// <summary>A new secret ("gra_" and 256 random bits) and the record that keeps only its hash.</summary>
    public static (string Secret, ApiKeyRecord Record) NewKey(string userId, string name, DateTimeOffset? expiresAt, DateTimeOffset now)
    {
        var secret = ApiKeys.Generate();
        var id = "k" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        return (secret, new ApiKeyRecord(id, userId, name, ApiKeys.Hash(secret), now, expiresAt));
    }

    private static async Task<Results<Created<CreatedKeyResponse>, ValidationProblem, ProblemHttpResult>> CreateFor(
        string userId, string location, HttpRequest request, IGrainFactory grains, TimeProvider clock)
    {
        var body = await JsonRequestBody.Read<CreateKeyRequest>(request, GatewayServiceExtensions.RequestJson);
        if (!body.IsValid)
        {
            return Problems.Invalid(body.Errors);
        }

        var errors = new ValidationErrors();
        var now = clock.GetUtcNow();
        var name = body.Value!.Name;
        if (name is null || !NameRegex().IsMatch(name))
        {
            errors.Add("name", "Must be 1 to 64 letters, digits, spaces, '.', '_' or '-', starting with a letter or digit.");
        }

        if (body.Value.ExpiresAt is { } expiry && expiry <= now)
        {
            errors.Add("expiresAt", "Must be in the future.");
        }

        if (!errors.IsEmpty)
        {
            return Problems.Invalid(errors.ToDictionary());
        }

        var directory = grains.GetGrain<IUserDirectoryGrain>(IUserDirectoryGrain.Key);
        if ((await directory.Keys(userId)).Count >= MaxKeysPerUser)
        {
            return Problems.Conflict($"A user holds at most {MaxKeysPerUser} keys; delete one first.");
        }

        var (secret, record) = NewKey(userId, name!, body.Value.ExpiresAt, now);
        if (!await directory.AddKey(record))
        {
            return Problems.NotFound("user", userId);
        }

        return TypedResults.Created($"{location}/{record.Id}", new CreatedKeyResponse(record.Id, record.Name, secret, record.CreatedAt, record.ExpiresAt));
    }

    private static async Task<KeyResponse[]> KeysOf(IGrainFactory grains, string userId, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        var keys = await grains.GetGrain<IUserDirectoryGrain>(IUserDirectoryGrain.Key).Keys(userId);
        return [.. keys.Select(k => new KeyResponse(k.Id, k.Name, k.CreatedAt, k.ExpiresAt, k.IsExpired(now)))];
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteFor(string userId, string id, IGrainFactory grains)
        => await grains.GetGrain<IUserDirectoryGrain>(IUserDirectoryGrain.Key).RemoveKey(userId, id)
            ? TypedResults.NoContent()
            : Problems.NotFound("key", id);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")]
    private static partial Regex NameRegex();
}

/// <summary>expiresAt: when the key stops working (ISO 8601); null: never.</summary>
public sealed record CreateKeyRequest(string? Name, DateTimeOffset? ExpiresAt);

/// <summary>The secret (key) is shown only here.</summary>
public sealed record CreatedKeyResponse(string Id, string Name, string Key, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt);

public sealed record KeyResponse(string Id, string Name, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, bool Expired);
