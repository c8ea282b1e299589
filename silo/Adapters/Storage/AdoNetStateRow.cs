using System.Globalization;
using System.Text;
using Orleans.Storage;

namespace Granary.Silo.Adapters.Storage;

/// <summary>
/// The columns that identify a grain state's row in OrleansStorage, computed exactly as Orleans' ADO.NET grain storage
/// computes them (AdoNetGrainStorage with its default hasher, Orleans.Persistence.AdoNet 10.4): a row written with
/// these is the row that provider reads. PlatformTests' GroupCommitGrainStorageTests check it against the provider.
/// State names with generic arguments (a backquote) are not covered: the provider reformats those.
/// </summary>
public readonly record struct AdoNetStateRow(int GrainIdHash, long N0, long N1, int GrainTypeHash, string GrainType, string? Extension)
{
    private static readonly OrleansDefaultHasher Hasher = new();

    /// <summary>The row's place in the one order that groups of statements lock rows in (PostgresCommandGroups).</summary>
    public string Order => string.Create(CultureInfo.InvariantCulture, $"state/{GrainIdHash}/{GrainTypeHash}/{N0}/{N1}/{GrainType}/{Extension}");

    public static bool Covers(string stateName) => !stateName.Contains('`', StringComparison.Ordinal);

    public static AdoNetStateRow For(string stateName, GrainId grainId)
    {
        var grainTypeHash = Hasher.Hash(Encoding.UTF8.GetBytes(stateName));
        if (grainId.TryGetGuidKey(out var guid, out var guidExtension))
        {
            var bytes = guid.ToByteArray();
            var n0 = BitConverter.ToInt64(bytes, 0);
            var n1 = BitConverter.ToInt64(bytes, 8);
            return new(Hash(bytes, guidExtension), n0, n1, grainTypeHash, stateName, guidExtension);
        }
        if (grainId.TryGetIntegerKey(out var integer, out var integerExtension))
        {
            return new(Hash(BitConverter.GetBytes(integer), integerExtension), 0, integer, grainTypeHash, stateName, integerExtension);
        }
        var key = grainId.Key.ToString();
        return new(Hash([], key), 0, 0, grainTypeHash, stateName, key);
    }

    /// <summary>The provider hashes the key's bytes followed by the extension's UTF-8, the whole reversed on a
    /// little-endian machine.</summary>
    private static int Hash(byte[] key, string? extension)
    {
        var bytes = extension is null ? key : [.. key, .. Encoding.UTF8.GetBytes(extension)];
        if (BitConverter.IsLittleEndian)
        {
            Array.Reverse(bytes);
        }
        return Hasher.Hash(bytes);
    }
}
