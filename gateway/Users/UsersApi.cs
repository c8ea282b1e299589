using System.Security.Claims;
using System.Text.RegularExpressions;
using Granary.Gateway.Auth;
using Granary.Gateway.Hosting;
using Granary.Gateway.Http;
using Granary.Policies;
using Granary.Sessions;
using Granary.Users;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Granary.Gateway.Users;

/// <summary>
/// REST v1 users: admins create users (each gets a stable id; the name is a label), set their scheduling rights and
/// resource policy, and delete them (their keys stop working at once, their sessions end, their folders stay for an
/// admin). Anyone can ask who they are (GET /v1/me).
/// </summary>
public static partial class UsersApi
{
    public const int MaxResourceGroups = 64;

    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/me", Me).WithTags("Users").RequireAuthorization();
        var group = app.MapGroup("/v1/users").WithTags("Users").RequireAuthorization(Roles.AdminPolicy);
        group.MapPost("/", Create).Accepts<CreateUserRequest>("application/json");
        group.MapGet("/", List);
        group.MapGet("/{name}", Get);
        group.MapPatch("/{name}", Update).Accepts<UpdateUserRequest>("application/json");
        group.MapDelete("/{name}", Delete);
        return app;
    }

    public static Ok<UserResponse> Me(ClaimsPrincipal user)
        => TypedResults.Ok(new UserResponse(user.GetId(), user.GetName(), user.IsAdmin() ? Roles.Admin : Roles.User,
            user.FindFirstValue(GranaryClaims.Source), user.GetPolicyName(), [.. user.GetResourceGroups()], user.GetMaxPriority()));

    /// <summary>Creates a user and returns its first API key; the key is shown only here.</summary>
    public static async Task<Results<Created<CreatedUserResponse>, ValidationProblem, ProblemHttpResult>> Create(
        HttpRequest request, IGrainFactory grains, ApiKeyDirectory directory, TimeProvider clock)
    {
        var body = await JsonRequestBody.Read<CreateUserRequest>(request, GatewayServiceExtensions.RequestJson);
        if (!body.IsValid)
        {
            return Problems.Invalid(body.Errors);
        }

        var errors = new ValidationErrors();
        var input = body.Value!;
        var name = input.Name;
        if (!UserNames.IsValid(name))
        {
            errors.Add("name", $"Must be 1 to 32 lower-case letters, digits, '.', '_' or '-', starting with a letter ({UserNames.Pattern}).");
        }

        var changes = await ValidateChanges(grains, input.Role, input.Policy, input.ResourceGroups, input.MaxPriority, errors);
        if (!errors.IsEmpty)
        {
            return Problems.Invalid(errors.ToDictionary());
        }

        if (directory.IsReservedName(name!))
        {
            return Problems.Conflict($"The user \"{name}\" already exists (from configuration).");
        }

        var now = clock.GetUtcNow();
        var user = new UserRecord(name!, changes.Role ?? Roles.User, null, now, UserIds.NewApiUser(),
            changes.ClearPolicy ? null : changes.Policy, changes.ResourceGroups, changes.MaxPriority ?? 0);
        var (key, record) = KeysApi.NewKey(user.Id, "default", null, now);
        if (!await grains.GetGrain<IUserDirectoryGrain>(IUserDirectoryGrain.Key).Add(user, record))
        {
            return Problems.Conflict($"The user \"{name}\" already exists.");
        }

        var shown = UserResponse.From(user);
        return TypedResults.Created($"/v1/users/{name}", new CreatedUserResponse(
            shown.Id, shown.Name, shown.Role, shown.Source, shown.Policy, shown.ResourceGroups, shown.MaxPriority, key, record.Id));
    }

    /// <summary>Every user (the admin key, configured users, API users); ?deleted=true: deleted users whose ids may
    /// still own folders.</summary>
    public static async Task<Results<Ok<UserResponse[]>, Ok<DeletedUserResponse[]>, ValidationProblem>> List(
        IGrainFactory grains, ApiKeyDirectory directory, string? deleted)
    {
        if (!QueryValues.TryParseFlag(deleted, out var listDeleted))
        {
            return Problems.Invalid("deleted", "Must be true or false.");
        }

        var users = grains.GetGrain<IUserDirectoryGrain>(IUserDirectoryGrain.Key);
        if (listDeleted)
        {
            var gone = await users.ListDeleted();
            return TypedResults.Ok(gone.Select(d => new DeletedUserResponse(d.Id, d.Name, d.DeletedAt)).ToArray());
        }

        var created = await users.List();
        UserResponse[] all =
        [
            UserResponse.From(ApiKeyDirectory.Admin),
            .. directory.ConfiguredUsersList.OrderBy(u => u.Name, StringComparer.Ordinal).Select(UserResponse.From),
            .. created.Select(UserResponse.From),
        ];
        return TypedResults.Ok(all);
    }

    public static async Task<Results<Ok<UserResponse>, ProblemHttpResult>> Get(string name, IGrainFactory grains, ApiKeyDirectory directory)
    {
        if (directory.External(name) is { } external)
        {
            return TypedResults.Ok(UserResponse.From(external));
        }

        var user = await grains.GetGrain<IUserDirectoryGrain>(IUserDirectoryGrain.Key).Find(name);
        return user is null ? Problems.NotFound("user", name) : TypedResults.Ok(UserResponse.From(user));
    }

    /// <summary>Changes a user's role, resource policy ("default" to clear), resource groups and maxPriority.</summary>
    public static async Task<Results<Ok<UserResponse>, ValidationProblem, ProblemHttpResult>> Update(
        string name, HttpRequest request, IGrainFactory grains, ApiKeyDirectory directory)
    {
        var body = await JsonRequestBody.Read<UpdateUserRequest>(request, GatewayServiceExtensions.RequestJson);
        if (!body.IsValid)
        {
            return Problems.Invalid(body.Errors);
        }

        var input = body.Value!;
        var errors = new ValidationErrors();
        var changes = await ValidateChanges(grains, input.Role, input.Policy, input.ResourceGroups, input.MaxPriority, errors);
        if (!errors.IsEmpty)
        {
            return Problems.Invalid(errors.ToDictionary());
        }

        if (directory.IsReservedName(name))
        {
            return Problems.Conflict($"The user \"{name}\" comes from configuration; change it there.");
        }

        var updated = await grains.GetGrain<IUserDirectoryGrain>(IUserDirectoryGrain.Key).Update(name, changes);
        return updated is null ? Problems.NotFound("user", name) : TypedResults.Ok(UserResponse.From(updated));
    }

    /// <summary>
    /// Deletes a user created through the API: its keys stop working on every gateway with the next request, its
    /// live sessions end (reason on the session), its folders stay under its id for an admin (GET /v1/folders?owner=).
    /// A later user of the same name gets a new id and inherits nothing. Configured users are changed in configuration.
    /// </summary>
    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(string name, IGrainFactory grains, ApiKeyDirectory directory)
    {
        if (directory.IsReservedName(name))
        {
            return Problems.Conflict($"The user \"{name}\" comes from configuration; remove it there.");
        }

        var removed = await grains.GetGrain<IUserDirectoryGrain>(IUserDirectoryGrain.Key).Remove(name);
        if (removed is null)
        {
            return Problems.NotFound("user", name);
        }

        var sessions = await grains.GetGrain<ISessionIndexGrain>(removed.Id).List();
        await Task.WhenAll(sessions.Select(id => grains.GetGrain<ISessionGrain>(id).End($"its owner {name} was deleted")));
        return TypedResults.NoContent();
    }

    /// <summary>The user with this name, whether admin, configured or created through the API; null when none.</summary>
    public static async Task<GranaryUser?> FindAny(IGrainFactory grains, ApiKeyDirectory directory, string name)
    {
        if (directory.External(name) is { } external)
        {
            return external;
        }

        var user = UserNames.IsValid(name) ? await grains.GetGrain<IUserDirectoryGrain>(IUserDirectoryGrain.Key).Find(name) : null;
        return user is null ? null : new GranaryUser(user.Id, user.Name, user.Role, "api", "", user.Policy, user.ResourceGroups, user.MaxPriority);
    }

    private static async Task<UserChanges> ValidateChanges(
        IGrainFactory grains, string? role, string? policy, string[]? groups, int? maxPriority, ValidationErrors errors)
    {
        if (role is not null && !Roles.IsKnown(role))
        {
            errors.Add("role", "Must be \"user\" or \"admin\".");
        }

        if (policy is not null && policy != ResourcePolicy.DefaultName)
        {
            if (!Policies.PoliciesApi.IsValidName(policy))
            {
                errors.Add("policy", Policies.PoliciesApi.NameRule);
            }
            else if (await grains.GetGrain<IPolicyDirectoryGrain>(IPolicyDirectoryGrain.Key).Get(policy) is null)
            {
                errors.Add("policy", $"There is no resource policy \"{policy}\" (PUT /v1/policies/{policy} first).");
            }
        }

        if (groups is not null)
        {
            if (groups.Length > MaxResourceGroups)
            {
                errors.Add("resourceGroups", $"At most {MaxResourceGroups} groups.");
            }

            for (var i = 0; i < groups.Length; i++)
            {
                if (groups[i] is null || !GroupRegex().IsMatch(groups[i]))
                {
                    errors.Add($"resourceGroups[{i}]", "Must be 1 to 64 lower-case letters, digits, '.', '_' or '-'.");
                }
            }
        }

        if (maxPriority is < Sessions.CreateSessionValidator.MinPriority or > Sessions.CreateSessionValidator.MaxPriority)
        {
            errors.Add("maxPriority", $"Must be between {Sessions.CreateSessionValidator.MinPriority} and {Sessions.CreateSessionValidator.MaxPriority}.");
        }

        return new UserChanges(role, policy == ResourcePolicy.DefaultName ? null : policy, policy == ResourcePolicy.DefaultName,
            groups?.Distinct(StringComparer.Ordinal).ToArray(), maxPriority);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex GroupRegex();
}

/// <summary>policy, resourceGroups (beyond "default") and maxPriority are the user's admin-set rights.</summary>
public sealed record CreateUserRequest(string? Name, string? Role, string? Policy, string[]? ResourceGroups, int? MaxPriority);

/// <summary>Fields left out keep their value; policy "default" returns the user to the default policy.</summary>
public sealed record UpdateUserRequest(string? Role, string? Policy, string[]? ResourceGroups, int? MaxPriority);

/// <summary>Source: "admin-key", "configuration" or "api".</summary>
public sealed record UserResponse(string Id, string Name, string Role, string? Source, string Policy, string[] ResourceGroups, int MaxPriority)
{
    public static UserResponse From(UserRecord user)
        => new(user.Id, user.Name, user.Role, "api", user.Policy ?? ResourcePolicy.DefaultName, user.ResourceGroups ?? [], user.MaxPriority);

    public static UserResponse From(GranaryUser user)
        => new(user.Id, user.Name, user.Role, user.Source, user.Policy ?? ResourcePolicy.DefaultName, user.ResourceGroups ?? [], user.MaxPriority);
}

public sealed record CreatedUserResponse(
    string Id, string Name, string Role, string? Source, string Policy, string[] ResourceGroups, int MaxPriority, string Key, string KeyId);

public sealed record DeletedUserResponse(string Id, string Name, DateTimeOffset DeletedAt);
