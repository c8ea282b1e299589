namespace Granary.Gateway.Browser;

/// <summary>
/// The "Granary:Apps" configuration section: where browsers reach session apps. Every session gets its own origin,
/// <c>{scheme}://{session id}.{Domain}:{port}</c>, distinct from the UI and API origin, so an app's pages cannot read
/// the UI's cookies or call the API as the person viewing them. <c>*.localhost</c> resolves to loopback in browsers
/// and curl, so the default works for the all-in-one; a real deployment points a wildcard DNS name (and a wildcard
/// TLS certificate) at the gateway and sets Domain, e.g. "apps.granary.example.org".
/// </summary>
public sealed class AppsOptions
{
    public const string Section = "Granary:Apps";

    /// <summary>App hosts are "{session id}.{Domain}".</summary>
    public string Domain { get; set; } = "apps.localhost";

    /// <summary>"http" or "https" for app links; unset: the scheme the UI was reached with.</summary>
    public string? Scheme { get; set; }

    /// <summary>The port of app links; unset: the port the UI was reached on.</summary>
    public int? Port { get; set; }

    /// <summary>How long a sign-in (the UI cookie) and an app cookie last.</summary>
    public TimeSpan CookieLifetime { get; set; } = TimeSpan.FromHours(12);
}
