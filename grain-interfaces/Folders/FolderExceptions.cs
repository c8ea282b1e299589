namespace Granary.Folders;

[GenerateSerializer]
public sealed class FolderConflictException(string message) : Exception(message);

[GenerateSerializer]
public sealed class FolderNotFoundException(string message) : Exception(message);
