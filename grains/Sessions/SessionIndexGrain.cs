using Granary.SiloPlacement;

namespace Granary.Sessions;

/// <summary>The ids of one owner's sessions (or of all sessions, key "*"), in creation order.</summary>
[ManagerPlacement]
public sealed class SessionIndexGrain(
    [PersistentState("sessionIndex", GranaryStorage.Name)] IPersistentState<SessionIndexState> state) : Grain, ISessionIndexGrain
{
    private HashSet<string>? _known;

    public async Task Add(string sessionId)
    {
        _known ??= [.. state.State.SessionIds];
        if (!_known.Add(sessionId))
        {
            return;
        }
        state.State.SessionIds.Add(sessionId);
        await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<string>> List() => Task.FromResult<IReadOnlyList<string>>(state.State.SessionIds.ToArray());
}

[GenerateSerializer]
public sealed class SessionIndexState
{
    [Id(0)] public List<string> SessionIds { get; set; } = [];
}
