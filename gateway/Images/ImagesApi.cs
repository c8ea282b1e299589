using Granary.Agents;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Granary.Gateway.Images;

/// <summary>GET /v1/images: the environments the agents have, each with its versions, image reference and apps.</summary>
public static class ImagesApi
{
    public static IEndpointRouteBuilder MapImagesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/images", List).WithTags("Images").RequireAuthorization();
        return app;
    }

    public static async Task<Ok<EnvironmentResponse[]>> List(IGrainFactory grains)
    {
        var catalog = await grains.GetGrain<IImageCatalogGrain>(IImageCatalogGrain.Key).List();
        return TypedResults.Ok(catalog
            .Select(c => (Environment: EnvironmentOf(c.Image), Version: new ImageVersionResponse(
                VersionOf(c.Image), c.Image.Reference, [.. c.Image.Apps.Select(a => a.Name)], c.Agents.Length)))
            .GroupBy(e => e.Environment, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new EnvironmentResponse(g.Key, [.. g.Select(e => e.Version).OrderBy(v => v.Version, StringComparer.Ordinal)]))
            .ToArray());
    }

    // An image without Granary's labels is shown under its repository name, its tag as the version.
    private static string EnvironmentOf(ImageDescriptor image)
        => !string.IsNullOrEmpty(image.Environment) ? image.Environment : Split(image.Reference).Repository;

    private static string VersionOf(ImageDescriptor image)
        => !string.IsNullOrEmpty(image.Version) ? image.Version : Split(image.Reference).Tag;

    private static (string Repository, string Tag) Split(string reference)
    {
        var colon = reference.LastIndexOf(':');
        return colon > reference.LastIndexOf('/') ? (reference[..colon], reference[(colon + 1)..]) : (reference, "latest");
    }
}

/// <summary>An environment (e.g. "python") and its versions.</summary>
public sealed record EnvironmentResponse(string Environment, ImageVersionResponse[] Versions);

/// <summary>One version: the image reference to create sessions with, the apps it serves, how many agents have it.</summary>
public sealed record ImageVersionResponse(string Version, string Image, string[] Apps, int Agents);
