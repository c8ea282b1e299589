using Granary.Sessions;

namespace Granary.Agents.Runtime;

/// <summary>Asks once whether a session's app answers at its published endpoint (the node's driver decides how:
/// the network for real containers, a delay for simulated ones).</summary>
public interface IAppProbe
{
    /// <summary>True when the app answers; false when it does not yet. Throws only when cancelled.</summary>
    Task<bool> Answers(string sessionId, AppEndpoint app, CancellationToken cancellationToken);
}
