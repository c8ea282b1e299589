using System.Security.Cryptography;
using System.Text;

namespace Granary.Gateway.Auth;

public static class ApiKeys
{
    /// <summary>A new key: "gra_" and 32 random bytes in base64url.</summary>
    public static string Generate()
        => "gra_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Keys are stored and compared as lower-case hex SHA-256.</summary>
    public static string Hash(string key)
        => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static bool HashesEqual(string a, string b)
        => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));
}
