namespace Granary.Folders;

public sealed class FolderIndexGrain(
    [PersistentState("folders", GranaryStorage.Name)] IPersistentState<SortedSet<string>> names) : Grain, IFolderIndexGrain
{
    public async Task Add(string name)
    {
        if (names.State.Add(name))
            await names.WriteStateAsync();
    }

    public async Task Remove(string name)
    {
        if (names.State.Remove(name))
            await names.WriteStateAsync();
    }

    public Task<IReadOnlyList<string>> List() => Task.FromResult<IReadOnlyList<string>>([.. names.State]);
}
