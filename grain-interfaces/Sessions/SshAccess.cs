namespace Granary.Sessions;

/// <summary>How to SSH/SFTP into a running session: host and port of its sshd, the user, and the session's
/// private key (id_container).</summary>
[GenerateSerializer, Immutable]
public sealed record SshAccess(
    [property: Id(0)] string Host,
    [property: Id(1)] int Port,
    [property: Id(2)] string User,
    [property: Id(3)] string PrivateKey);
