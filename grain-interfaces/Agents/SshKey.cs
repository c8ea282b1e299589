namespace Granary.Agents;

/// <summary>A session's own SSH key pair: PublicKey is an OpenSSH authorized_keys line, PrivateKey the text
/// of id_container that OpenSSH clients accept.</summary>
[GenerateSerializer, Immutable]
public sealed record SshKey([property: Id(0)] string PublicKey, [property: Id(1)] string PrivateKey);
