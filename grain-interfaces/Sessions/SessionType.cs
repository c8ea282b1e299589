namespace Granary.Sessions;

public enum SessionType
{
    Interactive,
    Batch,
}
