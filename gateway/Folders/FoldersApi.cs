using System.Security.Claims;
using Granary.Folders;
using Granary.Gateway.Auth;
using Granary.Gateway.Hosting;
using Granary.Gateway.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Granary.Gateway.Folders;

/// <summary>
/// REST v1 folders: storage that outlives sessions, owned by the caller, mounted at /home/work/{name}. A folder
/// a live session mounts cannot be deleted (409).
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
            return Problems.Invalid("name", "Must be 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'.");
        }

        try
        {
            var folder = await Folder(grains, user, name!).Create();
            return TypedResults.Created($"/v1/folders/{name}", FolderResponse.From(folder));
        }
        catch (FolderConflictException e)
        {
            return Problems.Conflict(e.Message);
        }
    }

    public static async Task<Ok<FolderResponse[]>> List(ClaimsPrincipal user, IGrainFactory grains)
    {
        var names = await grains.GetGrain<IFolderIndexGrain>(user.GetName()).List();
        var folders = await Task.WhenAll(names.Select(name => Folder(grains, user, name).Get()));
        return TypedResults.Ok(folders.OfType<FolderView>().OrderBy(f => f.Name, StringComparer.Ordinal).Select(FolderResponse.From).ToArray());
    }

    public static async Task<Results<Ok<FolderResponse>, ProblemHttpResult>> Get(string name, ClaimsPrincipal user, IGrainFactory grains)
    {
        var folder = FolderNames.IsValid(name) ? await Folder(grains, user, name).Get() : null;
        return folder is null ? Problems.NotFound("folder", name) : TypedResults.Ok(FolderResponse.From(folder));
    }

    /// <summary>Deletes the folder and its files. 409 while a live session mounts it.</summary>
    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(string name, ClaimsPrincipal user, IGrainFactory grains)
    {
        if (!FolderNames.IsValid(name))
        {
            return Problems.NotFound("folder", name);
        }

        try
        {
            return await Folder(grains, user, name).Delete() ? TypedResults.NoContent() : Problems.NotFound("folder", name);
        }
        catch (FolderConflictException e)
        {
            return Problems.Conflict(e.Message);
        }
    }

    /// <summary>Folders are per owner: the same name of two users is two folders.</summary>
    public static IFolderGrain Folder(IGrainFactory grains, ClaimsPrincipal user, string name)
        => grains.GetGrain<IFolderGrain>(FolderKey.Of(user.GetName(), name));
}

public sealed record CreateFolderRequest(string? Name);

/// <summary>mountedBy: the live sessions that mount the folder.</summary>
public sealed record FolderResponse(string Name, string Owner, DateTimeOffset CreatedAt, string[] MountedBy)
{
    public static FolderResponse From(FolderView folder) => new(folder.Name, folder.Owner, folder.CreatedAt, folder.MountedBy);
}
