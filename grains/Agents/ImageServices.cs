using Granary.Agents.Runtime;

namespace Granary.Agents;

/// <summary>A service an image offers: the label "granary.services" lists them as "name:protocol:port,…",
/// e.g. "jupyter:http:8888,ssh:tcp:2200". The agent publishes those ports and reports them as apps.</summary>
public sealed record ImageService(string Name, string Protocol, int Port)
{
    public const string Label = "granary.services";

    public static IReadOnlyList<ImageService> Of(RuntimeImage image) =>
        image.Labels.TryGetValue(Label, out var value) ? Parse(value) : [];

    public static IReadOnlyList<ImageService> Parse(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(entry => entry.Split(':'))
            .Select(parts => parts.Length == 3 && int.TryParse(parts[2], out var port)
                ? new ImageService(parts[0], parts[1], port)
                : throw new FormatException($"Image label {Label}: '{string.Join(':', parts)}' is not name:protocol:port."))
            .ToArray();
}
