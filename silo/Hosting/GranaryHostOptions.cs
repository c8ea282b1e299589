using Microsoft.Extensions.Configuration;

namespace Granary.Silo.Hosting;

/// <summary>The "Granary" section: roles, clustering, ports and storage of a silo (and what a client needs to join).</summary>
public sealed class GranaryHostOptions
{
    public const string Section = "Granary";

    /// <summary>"manager", "agent" or "manager,agent".</summary>
    public string Roles { get; set; } = "manager,agent";

    /// <summary>"localhost" (single machine, no database) or "adonet" (PostgreSQL membership table).</summary>
    public string Clustering { get; set; } = "localhost";

    /// <summary>"memory" or "adonet"; unset means adonet with adonet clustering, memory otherwise.</summary>
    public string? GrainStorage { get; set; }

    public string ClusterId { get; set; } = "granary";
    public string ServiceId { get; set; } = "granary";
    public int SiloPort { get; set; } = 11111;
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Localhost clustering: the silo port of the primary silo (default: this silo's own port).</summary>
    public int? PrimarySiloPort { get; set; }

    /// <summary>Adonet clustering: the address other silos and clients reach this silo on.</summary>
    public string AdvertisedIp { get; set; } = "127.0.0.1";

    public DatabaseOptions Database { get; set; } = new();

    /// <summary>Mutual TLS between silos and clients (Granary:Tls); off unless its paths are set.</summary>
    public ClusterTlsOptions Tls { get; set; } = new();

    public bool HasManagerRole => RoleList.Contains("manager");
    public bool HasAgentRole => RoleList.Contains("agent");

    /// <summary>The port clients (gateway processes) connect to; 0, no gateway, on a silo without the manager role.
    /// Clients then talk to the managers only: an agent node that stalls (paused, swapping, partitioned) cannot hold
    /// up a client's calls to every other grain, which Orleans would route through whichever gateway it picked.</summary>
    public int ClientGatewayPort => HasManagerRole ? GatewayPort : 0;

    public string EffectiveGrainStorage => GrainStorage ?? (Clustering == "adonet" ? "adonet" : "memory");

    private string[] RoleList => Roles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The environment variable that switches a process to PostgreSQL clustering, grain storage and
    /// reminders: a connection string, which becomes Granary:Database:ConnectionString with Granary:Clustering=adonet
    /// (explicit Granary:Clustering / Granary:Database:ConnectionString settings still win).</summary>
    public const string PostgresVariable = "GRANARY_POSTGRES";

    /// <summary>The "Granary" section with GRANARY_POSTGRES applied, validated.</summary>
    public static GranaryHostOptions From(IConfiguration configuration)
    {
        var options = configuration.GetSection(Section).Get<GranaryHostOptions>() ?? new GranaryHostOptions();
        if (Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } postgres)
        {
            options.Database.ConnectionString = configuration["Granary:Database:ConnectionString"] ?? postgres;
            if (Environment.GetEnvironmentVariable("Granary__Clustering") is null && !HasCommandLineKey(configuration, "Granary:Clustering"))
            {
                options.Clustering = "adonet";
            }
        }
        options.Validate();
        return options;
    }

    private static bool HasCommandLineKey(IConfiguration configuration, string key) =>
        configuration is IConfigurationRoot root && root.Providers.OfType<Microsoft.Extensions.Configuration.CommandLine.CommandLineConfigurationProvider>()
            .Any(provider => provider.TryGet(key, out _));

    /// <summary>AdvertisedIp as an address: an IP literal, or a host name resolved to its first IPv4 address.</summary>
    public System.Net.IPAddress AdvertisedAddress()
    {
        if (System.Net.IPAddress.TryParse(AdvertisedIp, out var address))
        {
            return address;
        }
        var resolved = System.Net.Dns.GetHostAddresses(AdvertisedIp)
            .FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
        return resolved ?? throw new InvalidOperationException(
            $"Granary:AdvertisedIp '{AdvertisedIp}' is neither an IP address nor a host name with an IPv4 address.");
    }

    public void Validate()
    {
        var unknown = RoleList.Except(["manager", "agent"]).ToArray();
        if (RoleList.Length == 0 || unknown.Length > 0)
        {
            throw new InvalidOperationException($"Granary:Roles '{Roles}' must name manager, agent or both.");
        }
        if (Clustering is not ("localhost" or "adonet"))
        {
            throw new InvalidOperationException($"Granary:Clustering '{Clustering}' must be localhost or adonet.");
        }
        if (EffectiveGrainStorage is not ("memory" or "adonet"))
        {
            throw new InvalidOperationException($"Granary:GrainStorage '{GrainStorage}' must be memory or adonet.");
        }
        if ((Clustering == "adonet" || EffectiveGrainStorage == "adonet") && string.IsNullOrWhiteSpace(Database.ConnectionString))
        {
            throw new InvalidOperationException("Granary:Database:ConnectionString is required for adonet clustering or storage.");
        }
        Tls.Validate();
    }
}
