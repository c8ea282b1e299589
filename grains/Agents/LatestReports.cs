using Granary.Sessions;

namespace Granary.Agents;

/// <summary>
/// What an agent last reported about each session it holds: the latest status, then the latest report of each app.
/// Posted again when a session asks to start again (its new activation may have lost them); a final status forgets
/// the session, since it is no longer held.
/// </summary>
internal sealed class LatestReports
{
    private readonly Dictionary<string, List<RuntimeReport>> _sessions = new(StringComparer.Ordinal);

    public void Remember(string sessionId, RuntimeReport report)
    {
        if (report.App is null && SessionTransitions.IsFinal(report.Status))
        {
            _sessions.Remove(sessionId);
            return;
        }
        if (!_sessions.TryGetValue(sessionId, out var kept))
        {
            _sessions[sessionId] = kept = [];
        }
        kept.RemoveAll(r => report.App is null ? r.App is null : r.App?.Name == report.App.Name);
        if (report.App is null)
        {
            kept.Insert(0, report); // the status first: a session takes an app's report only once it runs
        }
        else
        {
            kept.Add(report);
        }
    }

    public IReadOnlyList<RuntimeReport> Of(string sessionId) => _sessions.GetValueOrDefault(sessionId)?.ToArray() ?? [];

    public void Forget(string sessionId) => _sessions.Remove(sessionId);

    public int Count => _sessions.Count;
}
