using System.Security.Cryptography;
using System.Text;

namespace Granary.Gateway.Sessions;

/// <summary>
/// A create sent again with the same Idempotency-Key header by the same user names the same session. A client that
/// lost a create's answer (a 503 while part of the cluster restarts, after the session was stored) retries it and gets
/// that session instead of a second one nobody knows of. The id is a hash of the owner's user id and the key, so two
/// users' keys never meet.
/// </summary>
public static class IdempotencyKeys
{
    public const string Header = "Idempotency-Key";

    public const string Rule = "Must be 1 to 255 visible ASCII characters (no spaces), sent once.";

    public static bool IsValid(string key) => key.Length is >= 1 and <= 255 && key.All(c => c is >= '!' and <= '~');

    public static string SessionId(string ownerId, string key) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{ownerId}\n{key}")))[..32];
}
