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

    public string EffectiveGrainStorage => GrainStorage ?? (Clustering == "adonet" ? "adonet" : "memory");

    private string[] RoleList => Roles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

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

public sealed class DatabaseOptions
{
    /// <summary>A PostgreSQL connection string (Npgsql).</summary>
    public string? ConnectionString { get; set; }
}
