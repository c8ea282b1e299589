using System.Data.Common;
using Npgsql;

namespace Granary.Silo.Adapters.Storage;

/// <summary>How Granary's connection pools use an operator's PostgreSQL connection string: pooled connections are
/// not reset, and statements run often are kept prepared, unless the connection string sets either itself.
/// By default Npgsql resets a pooled connection before each reuse (DISCARD ALL, or seven statements when it holds
/// prepared ones), and the reset also throws away the server's cached plans, so every grain-state write planned its
/// statements again. What uses these pools (the Orleans providers and the grain directory) leaves no session state on
/// a connection (no SET, temporary table, LISTEN or advisory lock), so there is nothing to reset. Code that does,
/// such as the migrator's session advisory lock, connects with the string as given and keeps Npgsql's reset.</summary>
public static class PostgresPooling
{
    public static string ConnectionString(string given)
    {
        var named = new DbConnectionStringBuilder { ConnectionString = given }.Keys.Cast<string>()
            .Select(key => key.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant()).ToHashSet();
        var builder = new NpgsqlConnectionStringBuilder(given);
        if (!named.Contains("noresetonclose"))
        {
            builder.NoResetOnClose = true;
        }
        if (!named.Contains("maxautoprepare"))
        {
            builder.MaxAutoPrepare = 16;
            builder.AutoPrepareMinUsages = 2;
        }
        return builder.ConnectionString;
    }
}
