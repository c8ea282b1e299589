namespace Granary.Users;

/// <summary>
/// Which revocations a key answer reflects: Activation names one activation of the user directory (a new one
/// starts again at revision 0), Revision counts the revocations within it.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record KeyDirectoryVersion(
    [property: Id(0)] Guid Activation,
    [property: Id(1)] long Revision)
{
    public KeyDirectoryVersion Next() => this with { Revision = Revision + 1 };

    /// <summary>True when this is a later revision of the same activation, or another activation's.</summary>
    public bool Supersedes(KeyDirectoryVersion? other)
        => other is null || other.Activation != Activation || Revision > other.Revision;
}

/// <summary>A key lookup and the directory version it was made at (null Found: no key has that hash).</summary>
[GenerateSerializer, Immutable]
public sealed record KeyResolution(
    [property: Id(0)] ResolvedKey? Found,
    [property: Id(1)] KeyDirectoryVersion Version);

/// <summary>
/// A gateway's lease to cache keys: the directory tells it of every revocation until the lease ends (counted by the
/// gateway from when it asked), and a revocation that cannot reach it waits for its lease to end before returning.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record KeyCacheLease(
    [property: Id(0)] KeyDirectoryVersion Version,
    [property: Id(1)] TimeSpan Duration);
