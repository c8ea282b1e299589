namespace Granary.Folders;

[GenerateSerializer]
public sealed class FolderState
{
    [Id(0)] public bool Exists { get; set; }
    [Id(1)] public DateTimeOffset CreatedAt { get; set; }
    [Id(2)] public HashSet<string> MountedBy { get; set; } = [];
}
