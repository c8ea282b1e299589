using System.Data.Common;
using System.Net.Sockets;
using Orleans.Storage;

namespace Granary.Silo.Adapters.Storage;

/// <summary>
/// Wraps a grain storage so that a database failure (an NpgsqlException, a socket error, a timeout) leaves the grain
/// as a StorageUnavailableException carrying the cause's message: serializable, so a gateway can answer 503.
/// Anything else (an ETag conflict) passes through unchanged.
/// </summary>
public sealed class StorageFailureMapping(IGrainStorage inner) : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Mapped(() => inner.ReadStateAsync(stateName, grainId, grainState), "read", stateName, grainId);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Mapped(() => inner.WriteStateAsync(stateName, grainId, grainState), "write", stateName, grainId);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Mapped(() => inner.ClearStateAsync(stateName, grainId, grainState), "clear", stateName, grainId);

    private static async Task Mapped(Func<Task> operation, string verb, string stateName, GrainId grainId)
    {
        try
        {
            await operation();
        }
        catch (Exception exception) when (IsDatabaseFailure(exception))
        {
            throw Unavailable($"grain storage unavailable ({verb} {stateName} of {grainId})", exception);
        }
    }

    /// <summary>What a database failure becomes: what failed, and the message of the failure's root (the driver's own,
    /// not a wrapper's).</summary>
    public static StorageUnavailableException Unavailable(string what, Exception failure) =>
        new($"{what}: {Innermost(failure).Message}");

    public static bool IsDatabaseFailure(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is DbException or SocketException or TimeoutException or IOException)
            {
                return true;
            }
        }
        return false;
    }

    private static Exception Innermost(Exception exception)
    {
        var e = exception;
        while (e.InnerException is not null && e is not DbException)
        {
            e = e.InnerException;
        }
        return e;
    }
}
