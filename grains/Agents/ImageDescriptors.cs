using Granary.Agents.Launch;
using Granary.Agents.Runtime;
using Microsoft.Extensions.Logging;

namespace Granary.Agents;

/// <summary>What an image offers, from its labels; an image without them is named after its reference.</summary>
public static class ImageDescriptors
{
    public static ImageDescriptor Of(RuntimeImage image, ILogger logger)
    {
        var (name, tag) = Split(image.Reference);
        ImageApp[] apps;
        try
        {
            apps = [.. ImageApps.Parse(image.Labels)];
        }
        catch (FormatException exception)
        {
            logger.LogWarning(exception, "Image {Image} declares malformed apps; it is listed without apps", image.Reference);
            apps = [];
        }
        return new ImageDescriptor(
            image.Reference,
            image.Labels.GetValueOrDefault(ImageLabels.Environment) ?? name,
            image.Labels.GetValueOrDefault(ImageLabels.Version) ?? tag,
            apps);
    }

    private static (string Name, string Tag) Split(string reference)
    {
        var colon = reference.LastIndexOf(':');
        return colon > reference.LastIndexOf('/') ? (reference[..colon], reference[(colon + 1)..]) : (reference, "latest");
    }
}
