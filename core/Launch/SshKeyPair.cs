using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Granary.Agents.Launch;

/// <summary>
/// A session's SSH key pair. PublicKey is one OpenSSH authorized_keys line ("ssh-rsa AAAA… comment");
/// PrivateKey is a PKCS#1 PEM ("BEGIN RSA PRIVATE KEY") that OpenSSH, PuTTYgen and paramiko accept.
/// RSA because .NET has no Ed25519; OpenSSH signs with rsa-sha2-256/512 for such keys.
/// </summary>
public sealed record SshKeyPair(string PublicKey, string PrivateKey)
{
    public const int KeySizeBits = 3072;

    public static SshKeyPair Generate(string comment = "granary")
    {
        using var rsa = RSA.Create(KeySizeBits);
        var parameters = rsa.ExportParameters(includePrivateParameters: false);
        var blob = PublicKeyBlob(parameters.Exponent!, parameters.Modulus!);
        var publicKey = $"ssh-rsa {Convert.ToBase64String(blob)} {comment}";
        var privateKey = rsa.ExportRSAPrivateKeyPem() + "\n";
        return new SshKeyPair(publicKey, privateKey);
    }

    /// <summary>The RFC 4253 "ssh-rsa" public key blob: string "ssh-rsa", mpint e, mpint n.</summary>
    public static byte[] PublicKeyBlob(byte[] exponent, byte[] modulus)
    {
        using var stream = new MemoryStream();
        WriteString(stream, Encoding.ASCII.GetBytes("ssh-rsa"));
        WriteString(stream, MultiPrecisionInteger(exponent));
        WriteString(stream, MultiPrecisionInteger(modulus));
        return stream.ToArray();
    }

    /// <summary>An unsigned big-endian integer as an SSH mpint: no leading zero bytes, except one
    /// when the top bit is set (so it does not read as negative).</summary>
    private static byte[] MultiPrecisionInteger(byte[] unsignedBigEndian)
    {
        var start = 0;
        while (start < unsignedBigEndian.Length && unsignedBigEndian[start] == 0)
            start++;
        var magnitude = unsignedBigEndian.AsSpan(start);
        if (magnitude.Length > 0 && (magnitude[0] & 0x80) != 0)
            return [0, .. magnitude];
        return magnitude.ToArray();
    }

    private static void WriteString(Stream stream, byte[] value)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)value.Length);
        stream.Write(length);
        stream.Write(value);
    }
}
