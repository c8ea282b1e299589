using System.Security.Cryptography;
using System.Text;

namespace Granary.Silo.Migrations;

/// <summary>One SQL script from deploy/sql. Version is its file name without extension
/// ("0002_orleans_clustering"); scripts apply in ordinal order of Version.</summary>
public sealed record MigrationScript(string Version, string Sql, string Checksum)
{
    public static MigrationScript FromText(string version, string sql)
    {
        var normalized = sql.Replace("\r\n", "\n", StringComparison.Ordinal);
        var checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalized)));
        return new MigrationScript(version, normalized, checksum);
    }
}
