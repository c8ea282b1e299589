using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Granary.Agents.Launch;

namespace Granary.UnitTests.Launch;

public sealed class SshKeyPairTests
{
    [Fact]
    public void The_public_key_is_an_authorized_keys_line_for_the_private_key()
    {
        var pair = SshKeyPair.Generate("session-42");

        var fields = pair.PublicKey.Split(' ');
        Assert.Equal(3, fields.Length);
        Assert.Equal("ecdsa-sha2-nistp256", fields[0]);
        Assert.Equal("session-42", fields[2]);

        var blob = Convert.FromBase64String(fields[1]);
        var offset = 0;
        Assert.Equal("ecdsa-sha2-nistp256", Encoding.ASCII.GetString(ReadString(blob, ref offset)));
        Assert.Equal("nistp256", Encoding.ASCII.GetString(ReadString(blob, ref offset)));
        var point = ReadString(blob, ref offset);
        Assert.Equal(blob.Length, offset);

        using var ecdsa = ECDsa.Create();
        ecdsa.ImportFromPem(pair.PrivateKey);
        var q = ecdsa.ExportParameters(false).Q;
        Assert.Equal(256, ecdsa.KeySize);
        Assert.Equal([0x04, .. q.X!, .. q.Y!], point);
        Assert.Equal(65, point.Length);
        Assert.StartsWith("-----BEGIN EC PRIVATE KEY-----\n", pair.PrivateKey);
        Assert.EndsWith("-----END EC PRIVATE KEY-----\n", pair.PrivateKey);
    }

    [Fact]
    public void A_signature_of_the_private_key_verifies_with_the_public_key_line()
    {
        var pair = SshKeyPair.Generate();
        var data = "granary"u8.ToArray();
        using var signer = ECDsa.Create();
        signer.ImportFromPem(pair.PrivateKey);
        var signature = signer.SignData(data, HashAlgorithmName.SHA256);

        var blob = Convert.FromBase64String(pair.PublicKey.Split(' ')[1]);
        var offset = 0;
        ReadString(blob, ref offset);
        ReadString(blob, ref offset);
        var point = ReadString(blob, ref offset);
        using var verifier = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = point[1..33], Y = point[33..] },
        });

        Assert.True(verifier.VerifyData(data, signature, HashAlgorithmName.SHA256));
    }

    [Fact]
    public void Every_pair_is_new()
    {
        Assert.NotEqual(SshKeyPair.Generate().PublicKey, SshKeyPair.Generate().PublicKey);
    }

    private static byte[] ReadString(byte[] blob, ref int offset)
    {
        var length = (int)BinaryPrimitives.ReadUInt32BigEndian(blob.AsSpan(offset, 4));
        var value = blob.AsSpan(offset + 4, length).ToArray();
        offset += 4 + length;
        return value;
    }
}
