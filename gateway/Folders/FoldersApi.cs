using System.Security.Claims;
using Granary.Folders;
using Granary.Gateway.Auth;
using Granary.Gateway.Hosting;
using Granary.Gateway.Http;
using Granary.Users;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Granary.Gateway.Folders;

/// <summary>
/// REST v1 folders: storage that outlives sessions, owned by the caller's user id, mounted at /home/work/{name}. A
/// folder a live session mounts cannot be deleted (409). Admins reach any owner's folders by the owner's id (a
/// deleted user's folders stay until an admin deletes them or hands them to another user).
/// </summary>
public static class FoldersApi
{
    public static IEndpointRouteBuilder MapFoldersApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/folders").WithTags("Folders").RequireAuthorization();
        group.MapPost("/", Create).Accepts<CreateFolderRequest>("application/json");
        group.MapGet("/", List);
        group.MapGet("/{name}", Get);
        group.MapDelete("/{name}", Delete);
        var admin = app.MapGroup("/v1/folders/{ownerId}/{name}").WithTags("Folders").RequireAuthorization(Roles.AdminPolicy);
        admin.MapDelete("/", DeleteOwned);
        admin.MapPost("/transfer", Transfer).Accepts<TransferFolderRequest>("application/json");
        return app;
    }

    public static async Task<Results<Created<FolderResponse>, ValidationProblem, ProblemHttpResult>> Create(
        HttpRequest request, ClaimsPrincipal user, IGrainFactory grains)
    {
        var body = await JsonRequestBody.Read<CreateFolderRequest>(request, GatewayServiceExtensions.RequestJson);
        if (!body.IsValid)
        {
            return Problems.Invalid(body.Errors);
        }

        var name = body.Value!.Name;
        if (!FolderNames.IsValid(name))
        {
            return Problems.Invalid("name", NameRule);
        }

        try
        {
            var folder = await Folder(grains, user, name!).Create();
            return TypedResults.Created($"/v1/folders/{name}", FolderResponse.From(folder, user.GetName()));
        }
        catch (FolderConflictException e)
        {
            return Problems.Conflict(e.Message);
        }
    }

    /// <summary>The caller's folders; admins may ask for any owner's with ?owner={user id}.</summary>
    public static async Task<Results<Ok<FolderResponse[]>, ProblemHttpResult>> List(ClaimsPrincipal user, IGrainFactory grains, string? owner)
    {
        if (owner is not null && !user.IsAdmin())
        {
            return Problems.Forbidden("Only admins can list another owner's folders.");
        }

        if (owner is not null && !UserIds.IsWellFormed(owner))
        {
            return Problems.NotFound("user id", owner);
        }

        var ownerId = owner ?? user.GetId();
        var names = await grains.GetGrain<IFolderIndexGrain>(ownerId).List();
        var folders = await Task.WhenAll(names.Select(name => grains.GetGrain<IFolderGrain>(FolderKey.Of(ownerId, name)).Get()));
        var ownerName = owner is null ? user.GetName() : null;
        return TypedResults.Ok(folders.OfType<FolderView>().OrderBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => FolderResponse.From(f, ownerName)).ToArray());
    }

    public static async Task<Results<Ok<FolderResponse>, ProblemHttpResult>> Get(string name, ClaimsPrincipal user, IGrainFactory grains)
    {
        var folder = FolderNames.IsValid(name) ? await Folder(grains, user, name).Get() : null;
        return folder is null ? Problems.NotFound("folder", name) : TypedResults.Ok(FolderResponse.From(folder, user.GetName()));
    }

    /// <summary>Deletes the folder and its files. 409 while a live session mounts it.</summary>
    public static Task<Results<NoContent, ProblemHttpResult>> Delete(string name, ClaimsPrincipal user, IGrainFactory grains)
        => DeleteOwned(user.GetId(), name, grains);

    /// <summary>Admin: deletes any owner's folder, by the owner's user id.</summary>
    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteOwned(string ownerId, string name, IGrainFactory grains)
    {
        if (!UserIds.IsWellFormed(ownerId) || !FolderNames.IsValid(name))
        {
            return Problems.NotFound("folder", name);
        }

        try
        {
            return await grains.GetGrain<IFolderGrain>(FolderKey.Of(ownerId, name)).Delete() ? TypedResults.NoContent() : Problems.NotFound("folder", name);
        }
        catch (FolderConflictException e)
        {
            return Problems.Conflict(e.Message);
        }
    }

    /// <summary>Admin: hands a folder and its files to a user (by name), under its name or a new one.</summary>
    public static async Task<Results<Ok<FolderResponse>, ValidationProblem, ProblemHttpResult>> Transfer(
        string ownerId, string name, HttpRequest request, IGrainFactory grains, ApiKeyDirectory directory)
    {
        var body = await JsonRequestBody.Read<TransferFolderRequest>(request, GatewayServiceExtensions.RequestJson);
        if (!body.IsValid)
        {
            return Problems.Invalid(body.Errors);
        }

        var errors = new ValidationErrors();
        var newName = body.Value!.Name ?? name;
        if (!FolderNames.IsValid(newName))
        {
            errors.Add("name", NameRule);
        }

        var to = body.Value.To is { } toName ? await Users.UsersApi.FindAny(grains, directory, toName) : null;
        if (to is null)
        {
            errors.Add("to", $"Must name an existing user (\"{body.Value.To}\" is none).");
        }

        if (!errors.IsEmpty)
        {
            return Problems.Invalid(errors.ToDictionary());
        }

        if (!UserIds.IsWellFormed(ownerId) || !FolderNames.IsValid(name))
        {
            return Problems.NotFound("folder", name);
        }

        try
        {
            var moved = await grains.GetGrain<IFolderGrain>(FolderKey.Of(ownerId, name)).TransferTo(to!.Id, newName);
            return moved is null ? Problems.NotFound("folder", name) : TypedResults.Ok(FolderResponse.From(moved, to.Name));
        }
        catch (FolderConflictException e)
        {
            return Problems.Conflict(e.Message);
        }
    }

    private const string NameRule = "Must be 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'.";

    /// <summary>Folders are per owner id: the same name of two users is two folders.</summary>
    public static IFolderGrain Folder(IGrainFactory grains, ClaimsPrincipal user, string name)
        => grains.GetGrain<IFolderGrain>(FolderKey.Of(user.GetId(), name));
}

public sealed record CreateFolderRequest(string? Name);

/// <summary>To: the user (name) who gets the folder; name: its name there (default: the same).</summary>
public sealed record TransferFolderRequest(string? To, string? Name);

/// <summary>owner: the owner's name where known (null when an admin lists by id); ownerId: the owner's user id;
/// mountedBy: the live sessions that mount the folder.</summary>
public sealed record FolderResponse(string Name, string? Owner, string OwnerId, DateTimeOffset CreatedAt, string[] MountedBy)
{
    public static FolderResponse From(FolderView folder, string? ownerName)
        => new(folder.Name, ownerName, folder.Owner, folder.CreatedAt, folder.MountedBy);
}
