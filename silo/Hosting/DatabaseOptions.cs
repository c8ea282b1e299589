using Granary.Silo.Adapters.Storage;

namespace Granary.Silo.Hosting;

public sealed class DatabaseOptions
{
    /// <summary>A PostgreSQL connection string (Npgsql).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>ConnectionString as the Orleans providers' pools use it (see PostgresPooling).</summary>
    public string? PooledConnectionString => ConnectionString is null ? null : PostgresPooling.ConnectionString(ConnectionString);
}
