namespace Granary.Sessions;

public enum SessionStatus
{
    Pending,
    Scheduled,
    Preparing,
    Pulling,
    Running,
    Terminating,
    Terminated,
    Error,
    Cancelled,
}
