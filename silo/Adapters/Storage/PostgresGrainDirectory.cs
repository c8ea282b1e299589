using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.GrainDirectory;

namespace Granary.Silo.Adapters.Storage;

/// <summary>
/// The cluster's grain directory in PostgreSQL (table granary_grain_directory, deploy/sql/0005 and 0006), for every grain type
/// when the cluster runs on PostgreSQL.
/// Orleans' own directory keeps its entries on every silo, agents included, so an agent silo that dies or is cut off
/// stalls lookups of the grains it held entries for (manager grains too) until the cluster declares it dead, and
/// then has them deactivated. Here no silo holds entries for another: a silo's death only invalidates its own
/// activations, which Orleans' CachedGrainLocator notices from membership (UnregisterSilos, dead-silo checks).
/// A database failure leaves as a StorageUnavailableException, as grain storage's do, so the gateway answers 503.
/// Rows are keyed by the SHA-256 of the grain id, so a grain key of any length fits the index.
/// </summary>
public sealed class PostgresGrainDirectory(PostgresCommandGroups database, IOptions<ClusterOptions> cluster, ILogger<PostgresGrainDirectory> logger)
    : IGrainDirectory
{
    /// <summary>The lookup, whose plan deploy/sql/0006 keeps on the primary key.</summary>
    internal const string LookupSql =
        "SELECT silo_address, activation_id, membership_version FROM granary_grain_directory WHERE cluster_id = $1 AND grain_hash = $2";

    private readonly string _clusterId = cluster.Value.ClusterId;

    public Task<GrainAddress?> Register(GrainAddress address) => Register(address, previousAddress: null);

    /// <summary>Registers the address unless the grain already has one; replaces an existing entry only when it is
    /// previousAddress (an activation known to be dead). Returns the entry in force afterwards.</summary>
    public Task<GrainAddress?> Register(GrainAddress address, GrainAddress? previousAddress) => Mapped("register", address.GrainId, async () =>
    {
        var grainId = address.GrainId.ToString();
        var hash = Hash(grainId);
        var order = Order(hash);
        // A concurrent unregister can remove the row between a refused insert and the read: then try again.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var insert = new NpgsqlBatchCommand("""
                INSERT INTO granary_grain_directory AS d (cluster_id, grain_hash, grain_id, silo_address, activation_id, membership_version)
                VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (cluster_id, grain_hash) DO UPDATE
                    SET silo_address = EXCLUDED.silo_address, activation_id = EXCLUDED.activation_id,
                        membership_version = EXCLUDED.membership_version, registered_at = now()
                    WHERE d.activation_id = $7
                RETURNING silo_address, activation_id, membership_version
                """);
            insert.Parameters.AddWithValue(_clusterId);
            insert.Parameters.AddWithValue(hash);
            insert.Parameters.AddWithValue(grainId);
            insert.Parameters.AddWithValue(address.SiloAddress!.ToParsableString());
            insert.Parameters.AddWithValue(address.ActivationId.ToParsableString());
            insert.Parameters.AddWithValue(address.MembershipVersion.Value);
            insert.Parameters.AddWithValue(previousAddress?.ActivationId.ToParsableString() ?? "");
            var registered = await database.Run(insert, order, reader => ReadEntry(reader, address.GrainId));
            if (registered is not null)
            {
                return registered;
            }
            var existing = await LookupEntry(address.GrainId);
            if (existing is not null)
            {
                return existing;
            }
        }
        throw new StorageUnavailableException($"grain directory: {address.GrainId} kept changing while it was registered");
    });

    /// <summary>Removes the entry if it is this activation's; an address without an activation id (Orleans' "whatever
    /// is on that silo") removes the entry if it is on that silo.</summary>
    public Task Unregister(GrainAddress address) => Mapped("unregister", address.GrainId, async () =>
    {
        var anyActivation = address.ActivationId.IsDefault;
        var hash = Hash(address.GrainId.ToString());
        var delete = new NpgsqlBatchCommand(Counted(anyActivation
            ? "DELETE FROM granary_grain_directory WHERE cluster_id = $1 AND grain_hash = $2 AND silo_address = $3"
            : "DELETE FROM granary_grain_directory WHERE cluster_id = $1 AND grain_hash = $2 AND activation_id = $3"));
        delete.Parameters.AddWithValue(_clusterId);
        delete.Parameters.AddWithValue(hash);
        delete.Parameters.AddWithValue(anyActivation ? address.SiloAddress!.ToParsableString() : address.ActivationId.ToParsableString());
        return await database.Run(delete, Order(hash), _ => Task.FromResult((GrainAddress?)null));
    });

    public Task<GrainAddress?> Lookup(GrainId grainId) => Mapped("lookup", grainId, () => LookupEntry(grainId));

    /// <summary>Removes the entries of silos that died. Orleans calls this from the one loop that follows membership
    /// on each silo, which a thrown exception would end for good; a failure is logged instead. Nothing is lost by
    /// it: a lookup or registration that meets an entry of a dead silo replaces it.</summary>
    public async Task UnregisterSilos(List<SiloAddress> siloAddresses)
    {
        try
        {
            var delete = new NpgsqlBatchCommand(Counted("DELETE FROM granary_grain_directory WHERE cluster_id = $1 AND silo_address = ANY($2)"));
            delete.Parameters.AddWithValue(_clusterId);
            delete.Parameters.AddWithValue(siloAddresses.Select(s => s.ToParsableString()).ToArray());
            await database.Run(delete, Order([]), _ => Task.FromResult(0));
        }
        catch (Exception exception) when (StorageFailureMapping.IsDatabaseFailure(exception))
        {
            logger.LogWarning(exception, "Grain directory: the entries of dead silos {Silos} stay until each is next looked up", string.Join(", ", siloAddresses));
        }
    }

    private async Task<GrainAddress?> LookupEntry(GrainId grainId)
    {
        var hash = Hash(grainId.ToString());
        var select = new NpgsqlBatchCommand(LookupSql);
        select.Parameters.AddWithValue(_clusterId);
        select.Parameters.AddWithValue(hash);
        return await database.Run(select, Order(hash), reader => ReadEntry(reader, grainId));
    }

    /// <summary>A delete that answers one row, its count: a grouped statement must return a result set
    /// (PostgresCommandGroups), and a dead silo's entries may be thousands of rows.</summary>
    private static string Counted(string delete) => $"WITH deleted AS ({delete} RETURNING 1) SELECT count(*) FROM deleted";

    private static byte[] Hash(string grainId) => SHA256.HashData(Encoding.UTF8.GetBytes(grainId));

    /// <summary>The entry's place in the order groups of statements lock rows in.</summary>
    private static string Order(byte[] hash) => "directory/" + Convert.ToHexString(hash);

    private static async Task<GrainAddress?> ReadEntry(NpgsqlDataReader reader, GrainId grainId)
    {
        if (!await reader.ReadAsync())
        {
            return null;
        }
        return new GrainAddress
        {
            GrainId = grainId,
            SiloAddress = SiloAddress.FromParsableString(reader.GetString(0)),
            ActivationId = ActivationId.FromParsableString(reader.GetString(1)),
            MembershipVersion = new MembershipVersion(reader.GetInt64(2)),
        };
    }

    private static async Task<GrainAddress?> Mapped(string verb, GrainId grainId, Func<Task<GrainAddress?>> operation)
    {
        try
        {
            return await operation();
        }
        catch (Exception exception) when (StorageFailureMapping.IsDatabaseFailure(exception))
        {
            throw StorageFailureMapping.Unavailable($"grain directory unavailable ({verb} {grainId})", exception);
        }
    }
}
