using Microsoft.Extensions.Options;

namespace Granary.Gateway.Browser;

/// <summary>Maps a session to its app origin and a request's Host back to the session it is the app origin of.</summary>
public sealed class AppOrigins(IOptions<AppsOptions> options)
{
    private readonly string _suffix = "." + options.Value.Domain.Trim('.').ToLowerInvariant();

    /// <summary>The session whose app origin the request's Host names, or null for the UI and API origin.</summary>
    public string? SessionOf(HostString host)
    {
        var name = host.Host.ToLowerInvariant();
        if (!name.EndsWith(_suffix, StringComparison.Ordinal))
        {
            return null;
        }

        var label = name[..^_suffix.Length];
        return label.Length > 0 && !label.Contains('.') ? label : null;
    }

    public bool IsAppHost(HostString host) => SessionOf(host) is not null;

    /// <summary>"http://{id}.apps.localhost:8080": scheme and port as configured, else as the request came.</summary>
    public string Origin(string sessionId, HttpRequest request)
    {
        var scheme = options.Value.Scheme ?? request.Scheme;
        var port = options.Value.Port ?? request.Host.Port;
        var defaultPort = scheme == "https" ? 443 : 80;
        return port is null || port == defaultPort
            ? $"{scheme}://{sessionId.ToLowerInvariant()}{_suffix}"
            : $"{scheme}://{sessionId.ToLowerInvariant()}{_suffix}:{port}";
    }
}
