namespace Granary.Folders;

[GenerateSerializer]
public sealed class FolderConflictException(string message) : Exception(message);

[GenerateSerializer]
public sealed class FolderNotFoundException(string message) : Exception(message);

/// <summary>The node cannot hold folders (its folder root is not the cluster's shared storage); the message is for
/// the operator's log (it names host paths).</summary>
[GenerateSerializer]
public sealed class FoldersUnavailableException(string message) : InvalidOperationException(message);
