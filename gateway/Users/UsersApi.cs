using System.Security.Claims;
using Granary.Gateway.Auth;
using Granary.Gateway.Hosting;
using Granary.Gateway.Http;
using Granary.Users;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Granary.Gateway.Users;

/// <summary>REST v1 users: admins create users with API keys; anyone can ask who they are (GET /v1/me).</summary>
public static class UsersApi
{
    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/me", Me).WithTags("Users").RequireAuthorization();
        var group = app.MapGroup("/v1/users").WithTags("Users").RequireAuthorization(Roles.AdminPolicy);
        group.MapPost("/", Create).Accepts<CreateUserRequest>("application/json");
        group.MapGet("/", List);
        group.MapDelete("/{name}", Delete);
        return app;
    }

    public static Ok<UserResponse> Me(ClaimsPrincipal user)
        => TypedResults.Ok(new UserResponse(user.GetName(), user.IsAdmin() ? Roles.Admin : Roles.User, null));

    /// <summary>Creates a user and returns its API key; the key is shown only here.</summary>
    public static async Task<Results<Created<CreatedUserResponse>, ValidationProblem, ProblemHttpResult>> Create(
        HttpRequest request, IGrainFactory grains, ApiKeyDirectory directory, TimeProvider clock)
    {
        var body = await JsonRequestBody.Read<CreateUserRequest>(request, GatewayServiceExtensions.RequestJson);
        if (!body.IsValid)
        {
            return Problems.Invalid(body.Errors);
        }

        var errors = new ValidationErrors();
        var name = body.Value!.Name;
        if (!UserNames.IsValid(name))
        {
            errors.Add("name", $"Must be 1 to 32 lower-case letters, digits, '.', '_' or '-', starting with a letter ({UserNames.Pattern}).");
        }

        var role = body.Value.Role ?? Roles.User;
        if (!Roles.IsKnown(role))
        {
            errors.Add("role", "Must be \"user\" or \"admin\".");
        }

        if (!errors.IsEmpty)
        {
            return Problems.Invalid(errors.ToDictionary());
        }

        if (directory.IsReservedName(name!))
        {
            return Problems.Conflict($"The user \"{name}\" already exists (from configuration).");
        }

        var key = ApiKeys.Generate();
        var added = await grains.GetGrain<IUserDirectoryGrain>(IUserDirectoryGrain.Key)
            .Add(new UserRecord(name!, role, ApiKeys.Hash(key), clock.GetUtcNow()));
        if (!added)
        {
            return Problems.Conflict($"The user \"{name}\" already exists.");
        }

        return TypedResults.Created($"/v1/users/{name}", new CreatedUserResponse(name!, role, key));
    }

    public static async Task<Ok<UserResponse[]>> List(IGrainFactory grains, ApiKeyDirectory directory)
    {
        var created = await grains.GetGrain<IUserDirectoryGrain>(IUserDirectoryGrain.Key).List();
        UserResponse[] users =
        [
            new(Roles.AdminUserName, Roles.Admin, "admin-key"),
            .. directory.ConfiguredUsersList.OrderBy(u => u.Name, StringComparer.Ordinal).Select(u => new UserResponse(u.Name, u.Role, u.Source)),
            .. created.Select(u => new UserResponse(u.Name, u.Role, "api")),
        ];
        return TypedResults.Ok(users);
    }

    /// <summary>Deletes a user created through the API; its key stops working. Configured users are changed in configuration.</summary>
    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(string name, IGrainFactory grains, ApiKeyDirectory directory)
    {
        if (directory.IsReservedName(name))
        {
            return Problems.Conflict($"The user \"{name}\" comes from configuration; remove it there.");
        }

        var removed = await grains.GetGrain<IUserDirectoryGrain>(IUserDirectoryGrain.Key).Remove(name);
        return removed ? TypedResults.NoContent() : Problems.NotFound("user", name);
    }
}

public sealed record CreateUserRequest(string? Name, string? Role);

/// <summary>Source: "admin-key", "configuration" or "api"; null for GET /v1/me.</summary>
public sealed record UserResponse(string Name, string Role, string? Source);

public sealed record CreatedUserResponse(string Name, string Role, string Key);
