using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Granary.Agents.Launch;

/// <summary>
/// A session's SSH key pair. PublicKey is one OpenSSH authorized_keys line ("ecdsa-sha2-nistp256 AAAA… comment");
/// PrivateKey is a SEC1 PEM ("BEGIN EC PRIVATE KEY") that OpenSSH, PuTTYgen and paramiko accept.
/// ECDSA on P-256 because .NET has no Ed25519, and an RSA key of like strength (3,072 bits) took 300–400 ms of the
/// manager's CPU to make, at every start of a session whose image serves SSH; this takes well under a millisecond.
/// </summary>
public sealed record SshKeyPair(string PublicKey, string PrivateKey)
{
    public const string KeyType = "ecdsa-sha2-nistp256";
    private const string CurveName = "nistp256";

    public static SshKeyPair Generate(string comment = "granary")
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var point = ecdsa.ExportParameters(includePrivateParameters: false).Q;
        var publicKey = $"{KeyType} {Convert.ToBase64String(PublicKeyBlob(point.X!, point.Y!))} {comment}";
        return new SshKeyPair(publicKey, ecdsa.ExportECPrivateKeyPem() + "\n");
    }

    /// <summary>The RFC 5656 public key blob: string "ecdsa-sha2-nistp256", string "nistp256", string Q, where Q is
    /// the uncompressed point 0x04 || X || Y (each coordinate 32 bytes, big-endian).</summary>
    public static byte[] PublicKeyBlob(byte[] x, byte[] y)
    {
        using var stream = new MemoryStream();
        WriteString(stream, Encoding.ASCII.GetBytes(KeyType));
        WriteString(stream, Encoding.ASCII.GetBytes(CurveName));
        WriteString(stream, [0x04, .. x, .. y]);
        return stream.ToArray();
    }

    private static void WriteString(Stream stream, byte[] value)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)value.Length);
        stream.Write(length);
        stream.Write(value);
    }
}
