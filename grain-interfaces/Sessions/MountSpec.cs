namespace Granary.Sessions;

/// <summary>A storage folder mounted into a session at Path (default /home/work/{Folder}).</summary>
[GenerateSerializer, Immutable]
public sealed record MountSpec(
    [property: Id(0)] string Folder,
    [property: Id(1)] string Path,
    [property: Id(2)] bool ReadOnly);
