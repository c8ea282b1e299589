namespace Granary.Sessions;

/// <summary>
/// What the agent tells a session about its container: the status it has reached
/// (Preparing, Pulling, Running, Terminated, Error), why, and what it learned on the way.
/// AgentId names the reporting agent, so a session can tell a report from an agent it no longer uses.
/// A report with App set tells that one app of the running session became ready (or failed); Status stays RUNNING.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record RuntimeReport(
    [property: Id(0)] SessionStatus Status,
    [property: Id(1)] string? Reason = null,
    [property: Id(2)] int? ExitCode = null,
    [property: Id(3)] string? ContainerId = null,
    [property: Id(4)] AppEndpoint[]? Apps = null,
    [property: Id(5)] string? AgentId = null,
    [property: Id(6)] AppReadiness? App = null);
