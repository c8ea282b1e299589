using Granary.SiloPlacement;

namespace Granary.Folders;

[FolderStoragePlacement]
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
        await Exist(clock.GetUtcNow());
        return View();
    }

    public Task<FolderView?> Get() => Task.FromResult(state.State.Exists ? View() : null);

    public async Task<bool> Delete()
    {
        var (owner, name) = Key;
        if (!state.State.Exists)
            return false;
        EnsureNotMounted();
        storage.Delete(owner, name);
        await End();
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

    public async Task<FolderView?> TransferTo(string ownerId, string name)
    {
        var (owner, current) = Key;
        if (!state.State.Exists)
            return null;
        if (FolderKey.Of(ownerId, name) == this.GetPrimaryKeyString())
            throw new FolderConflictException($"Folder '{current}' already belongs there.");
        EnsureNotMounted();
        var target = GrainFactory.Ref<IFolderGrain>(FolderKey.Of(ownerId, name));
        try
        {
            storage.Move(owner, current, ownerId, name);
        }
        catch (IOException e)
        {
            throw new FolderConflictException($"Folder '{current}' cannot move there: {e.Message}");
        }
        try
        {
            await target.Adopt(state.State.CreatedAt);
        }
        catch (FolderConflictException)
        {
            storage.Move(ownerId, name, owner, current);
            throw;
        }
        await End();
        return await target.Get();
    }

    public async Task Adopt(DateTimeOffset createdAt)
    {
        if (state.State.Exists)
            throw new FolderConflictException($"Folder '{Key.Name}' already exists.");
        await Exist(createdAt);
    }

    private async Task Exist(DateTimeOffset createdAt)
    {
        state.State = new FolderState { Exists = true, CreatedAt = createdAt };
        await state.WriteStateAsync();
        await GrainFactory.Ref<IFolderIndexGrain>(Key.Owner).Add(Key.Name);
    }

    private async Task End()
    {
        await state.ClearStateAsync();
        state.State = new FolderState();
        await GrainFactory.Ref<IFolderIndexGrain>(Key.Owner).Remove(Key.Name);
    }

    private void EnsureNotMounted()
    {
        if (state.State.MountedBy.Count > 0)
            throw new FolderConflictException(
                $"Folder '{Key.Name}' is mounted by live session(s) {string.Join(", ", state.State.MountedBy.Order())}.");
    }

    private FolderView View()
    {
        var (owner, name) = Key;
        return new FolderView(owner, name, state.State.CreatedAt, [.. state.State.MountedBy.Order()]);
    }
}
