namespace Granary;

/// <summary>
/// Grain storage (PostgreSQL) could not be reached or failed: what a grain throws instead of the driver's own
/// exception, which has no Orleans codec and could not reach the gateway. Transient: the request may be retried.
/// </summary>
[GenerateSerializer]
public sealed class StorageUnavailableException : Exception
{
    public StorageUnavailableException()
    {
    }

    public StorageUnavailableException(string message)
        : base(message)
    {
    }

    public StorageUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
