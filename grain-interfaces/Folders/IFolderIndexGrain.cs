namespace Granary.Folders;

/// <summary>The names of one owner's folders (key: the owner's user id).</summary>
public interface IFolderIndexGrain : IGrainWithStringKey
{
    Task Add(string name);

    Task Remove(string name);

    Task<IReadOnlyList<string>> List();
}
