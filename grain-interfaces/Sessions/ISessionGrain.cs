using Granary.Agents;
using Orleans.Concurrency;

namespace Granary.Sessions;

/// <summary>
/// One compute session (key: session id). The only writer of the session's status; every change
/// is appended to its sequence-numbered event log.
/// </summary>
public interface ISessionGrain : IGrainWithStringKey
{
    /// <summary>Creates the session as PENDING and enqueues it at its group's scheduler. Fails if it already exists.</summary>
    Task<SessionView> Create(SessionSpec spec);

    /// <summary>The session, or null when no session has this id.</summary>
    Task<SessionView?> Get();

    /// <summary>The session with its revision, for its owner's index (which otherwise hears of each change from the
    /// session); null when no session has this id.</summary>
    Task<IndexedSession?> GetIndexed();

    /// <summary>Asks the session to end: TERMINATING, then TERMINATED once the agent has removed the container.
    /// A PENDING session is CANCELLED at once. Force ends a stuck session without waiting for its agent.</summary>
    Task<SessionView> Terminate(bool force);

    /// <summary>Ends the session as Terminate does, with the reason on the session (its owner was deleted, it ran out
    /// its lifetime or was idle too long).</summary>
    Task<SessionView> End(string reason);

    /// <summary>The owner's resource policy admitted this queued session: it goes to its scheduler.</summary>
    [OneWay]
    Task QuotaAdmitted();

    /// <summary>The owner's quota holds an admission for this session, which has not started: a session stored by a
    /// create whose manager died meanwhile comes back (its activation lists and queues it); one that was never
    /// stored gives the admission back. One-way: the quota never waits for a session.</summary>
    [OneWay]
    Task CheckAdmission(string owner);

    /// <summary>Someone used the session (app traffic, terminal input, an SSH connection): it is not idle.</summary>
    [OneWay]
    Task Touched();

    /// <summary>Events with Sequence greater than afterSequence, oldest first.</summary>
    Task<IReadOnlyList<SessionEvent>> GetEvents(long afterSequence);

    /// <summary>The scheduler's decision: the session moves to SCHEDULED and asks the agent to start it (after
    /// this call has returned). False when the session no longer waits for a placement (it was cancelled
    /// meanwhile): the scheduler then frees what it reserved.</summary>
    Task<bool> Assign(Placement placement);

    /// <summary>Why the scheduler still cannot place this PENDING session; shown as its StatusReason.
    /// One-way: the scheduler never waits for a session.</summary>
    [OneWay]
    Task SetPendingReason(string reason);

    /// <summary>The agent's reports about the session's container, oldest first; applied in order and stored
    /// once (a container that starts quickly reports PREPARING and RUNNING together).</summary>
    Task Report(params RuntimeReport[] reports);

    /// <summary>SSH access to the running session (its sshd's published host and port, user "work", the private
    /// key); null when the session is not running or its image serves no ssh.</summary>
    Task<SshAccess?> GetSsh();

    /// <summary>The secret the session's http apps require (Jupyter's token) for the gateway's app proxy to add to
    /// what it forwards; null unless the session is running. Never shown to users.</summary>
    Task<string?> GetAppSecret();
    /// <summary>The session's node stopped sending heartbeats (its last one at lastHeartbeat): the session shows
    /// that its node is unreachable (a field, its reason and an event). Ignored unless the session runs on that node.</summary>
    Task NodeUnreachable(string agentId, DateTimeOffset lastHeartbeat);

    /// <summary>The session's node is back within its grace: the session continues as it was.</summary>
    Task NodeReachable(string agentId);

    /// <summary>The session's node did not come back within its grace: the session ends as ERROR "agent-lost"
    /// (its node removes the container if it ever returns).</summary>
    Task AgentLost(string agentId, DateTimeOffset lastHeartbeat);

    /// <summary>The container's output (stdout and stderr), at most the last tailLines lines.</summary>
    Task<string> GetLogs(int tailLines);
}
