namespace Granary.Folders;

/// <summary>A storage folder: it belongs to its owner, outlives sessions, and is mounted at /home/work/{Name}.
/// MountedBy lists the live sessions that have it mounted.</summary>
[GenerateSerializer, Immutable]
public sealed record FolderView(
    [property: Id(0)] string Owner,
    [property: Id(1)] string Name,
    [property: Id(2)] DateTimeOffset CreatedAt,
    [property: Id(3)] string[] MountedBy);
