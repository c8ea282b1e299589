using System.Globalization;

namespace Granary.Agents.Launch;

/// <summary>Reads the apps an image declares in its labels, and gives the environment those apps need.</summary>
public static class ImageApps
{
    public static readonly IReadOnlyList<string> Protocols = ["http", "tcp", "exec"];

    /// <summary>The apps in the image's <see cref="ImageLabels.Apps"/> label; none when the label is absent.
    /// Throws FormatException naming the label when an entry is malformed.</summary>
    public static IReadOnlyList<ImageApp> Parse(IReadOnlyDictionary<string, string> labels)
    {
        if (!labels.TryGetValue(ImageLabels.Apps, out var value) || string.IsNullOrWhiteSpace(value))
            return [];

        var apps = new List<ImageApp>();
        foreach (var entry in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var app = ParseEntry(entry);
            if (apps.Any(a => a.Name == app.Name))
                throw Malformed(entry, $"app '{app.Name}' is declared twice");
            apps.Add(app);
        }
        return apps;
    }

    /// <summary>The container ports to publish for the apps (every app with a port; exec apps have Port 0).</summary>
    public static IReadOnlyList<int> Ports(IEnumerable<ImageApp> apps)
        => apps.Where(a => a.Port > 0).Select(a => a.Port).Distinct().ToList();

    /// <summary>The path under which the gateway proxies a session's app; the app must serve under it.</summary>
    public static string BaseUrl(string sessionId, string appName) => $"/v1/sessions/{sessionId}/apps/{appName}/";

    /// <summary>The environment the image's start script needs for its apps: for each http app,
    /// GRANARY_&lt;APP&gt;_BASE_URL (e.g. GRANARY_JUPYTER_BASE_URL=/v1/sessions/{id}/apps/jupyter/).</summary>
    public static IReadOnlyDictionary<string, string> Environment(IEnumerable<ImageApp> apps, string sessionId)
        => apps.Where(a => a.Protocol == "http")
            .ToDictionary(a => BaseUrlVariable(a.Name), a => BaseUrl(sessionId, a.Name));

    public static string BaseUrlVariable(string appName)
        => $"GRANARY_{appName.ToUpperInvariant().Replace('-', '_')}_BASE_URL";

    private static ImageApp ParseEntry(string entry)
    {
        var parts = entry.Split(':');
        if (parts.Length is < 2 or > 3)
            throw Malformed(entry, "expected name:protocol[:port]");

        var (name, protocol) = (parts[0], parts[1]);
        if (name.Length == 0 || !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            throw Malformed(entry, "the name must be lower-case letters, digits or '-'");
        if (!Protocols.Contains(protocol))
            throw Malformed(entry, $"protocol must be one of {string.Join(", ", Protocols)}");

        if (protocol == "exec")
        {
            if (parts.Length == 3)
                throw Malformed(entry, "an exec app has no port");
            return new ImageApp(name, protocol, 0);
        }

        if (parts.Length != 3
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535)
            throw Malformed(entry, $"a {protocol} app needs a port between 1 and 65535");
        return new ImageApp(name, protocol, port);
    }

    private static FormatException Malformed(string entry, string why)
        => new($"Image label {ImageLabels.Apps}: entry '{entry}' is malformed: {why}.");
}
