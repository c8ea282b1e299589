namespace Granary.Folders;

public sealed class FolderGrain(
    [PersistentState("folder", GranaryStorage.Name)] IPersistentState<FolderState> state,
    IFolderStorage storage,
    TimeProvider clock) : Grain, IFolderGrain
{
    private (string Owner, string Name) Key => FolderKey.Parse(this.GetPrimaryKeyString());

    public async Task<FolderView> Create()
    {
        var (owner, name) = Key;
        if (state.State.Exists)
            throw new FolderConflictException($"Folder '{name}' already exists.");
        storage.Ensure(owner, name);
        state.State = new FolderState { Exists = true, CreatedAt = clock.GetUtcNow() };
        await state.WriteStateAsync();
        await GrainFactory.Ref<IFolderIndexGrain>(owner).Add(name);
        return View();
    }

    public Task<FolderView?> Get() => Task.FromResult(state.State.Exists ? View() : null);

    public async Task<bool> Delete()
    {
        var (owner, name) = Key;
        if (!state.State.Exists)
            return false;
        if (state.State.MountedBy.Count > 0)
            throw new FolderConflictException(
                $"Folder '{name}' is mounted by live session(s) {string.Join(", ", state.State.MountedBy.Order())}.");
        storage.Delete(owner, name);
        await state.ClearStateAsync();
        state.State = new FolderState();
        await GrainFactory.Ref<IFolderIndexGrain>(owner).Remove(name);
        return true;
    }

    public async Task Attach(string sessionId)
    {
        if (!state.State.Exists)
            throw new FolderNotFoundException($"Folder '{Key.Name}' does not exist.");
        if (state.State.MountedBy.Add(sessionId))
            await state.WriteStateAsync();
    }

    public async Task Detach(string sessionId)
    {
        if (state.State.MountedBy.Remove(sessionId))
            await state.WriteStateAsync();
    }

    private FolderView View()
    {
        var (owner, name) = Key;
        return new FolderView(owner, name, state.State.CreatedAt, [.. state.State.MountedBy.Order()]);
    }
}
