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
        Assert.Equal("ssh-rsa", fields[0]);
        Assert.Equal("session-42", fields[2]);

        var blob = Convert.FromBase64String(fields[1]);
        var offset = 0;
        Assert.Equal("ssh-rsa", Encoding.ASCII.GetString(ReadString(blob, ref offset)));
        var exponent = ReadString(blob, ref offset);
        var modulus = ReadString(blob, ref offset);
        Assert.Equal(blob.Length, offset);

        using var rsa = RSA.Create();
        rsa.ImportFromPem(pair.PrivateKey);
        var parameters = rsa.ExportParameters(false);
        Assert.Equal(SshKeyPair.KeySizeBits, rsa.KeySize);
        Assert.Equal(parameters.Exponent, exponent);
        // mpint: the modulus' top bit is set, so it carries one leading zero byte.
        Assert.Equal(0, modulus[0]);
        Assert.Equal(parameters.Modulus, modulus[1..]);
        Assert.StartsWith("-----BEGIN RSA PRIVATE KEY-----\n", pair.PrivateKey);
        Assert.EndsWith("-----END RSA PRIVATE KEY-----\n", pair.PrivateKey);
    }

    [Fact]
    public void Every_pair_is_new()
    {
        Assert.NotEqual(SshKeyPair.Generate().PublicKey, SshKeyPair.Generate().PublicKey);
    }

    [Fact]
    public void Mpints_drop_leading_zeros_and_keep_the_sign_bit_clear()
    {
        var blob = SshKeyPair.PublicKeyBlob([0x00, 0x01, 0x00, 0x01], [0x00, 0x00, 0x7f, 0xff]);
        var offset = 0;
        ReadString(blob, ref offset);
        Assert.Equal([0x01, 0x00, 0x01], ReadString(blob, ref offset));
        Assert.Equal([0x7f, 0xff], ReadString(blob, ref offset));
    }

    private static byte[] ReadString(byte[] blob, ref int offset)
    {
        var length = (int)BinaryPrimitives.ReadUInt32BigEndian(blob.AsSpan(offset, 4));
        var value = blob.AsSpan(offset + 4, length).ToArray();
        offset += 4 + length;
        return value;
    }
}
