using Granary.SiloPlacement;
using Orleans.Concurrency;

namespace Granary.Sessions;

/// <summary>The ids of one owner's sessions (or of all sessions, key "*"), in creation order.</summary>
/// <remarks>Reentrant so that a burst of Adds shares one state write (group commit): every turn changes the state
/// before its first await, and the writer serialises the writes.</remarks>
[ManagerPlacement, Reentrant]
public sealed class SessionIndexGrain(
    [PersistentState("sessionIndex", GranaryStorage.Name)] IPersistentState<SessionIndexState> state) : Grain, ISessionIndexGrain
{
    private HashSet<string>? _known;
    private StateWriter? _writer;

    public async Task Add(string sessionId)
    {
        _known ??= [.. state.State.SessionIds];
        if (!_known.Add(sessionId))
        {
            return;
        }
        state.State.SessionIds.Add(sessionId);
        await (_writer ??= new StateWriter(state.WriteStateAsync)).Write();
    }

    public Task<IReadOnlyList<string>> List() => Task.FromResult<IReadOnlyList<string>>(state.State.SessionIds.ToArray());
}

[GenerateSerializer]
public sealed class SessionIndexState
{
    [Id(0)] public List<string> SessionIds { get; set; } = [];
}
