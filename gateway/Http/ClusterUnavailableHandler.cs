using Microsoft.AspNetCore.Diagnostics;

namespace Granary.Gateway.Http;

/// <summary>
/// A request that failed because part of the cluster is briefly out of reach (a manager silo died and its grains
/// are moving, grain storage is down, no silo accepts this client, the folder storage is not mounted, a node's
/// container engine failed) answers 503 problem+json with Retry-After instead of a generic 500: the client may simply
/// try again.
/// </summary>
public sealed class ClusterUnavailableHandler(ILogger<ClusterUnavailableHandler> logger) : IExceptionHandler
{
    public const int RetryAfterSeconds = 2;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (Reason(exception) is not { } reason)
        {
            return false;
        }
        logger.LogWarning("{Method} {Path}: 503, {Reason} ({Error})", httpContext.Request.Method, httpContext.Request.Path, reason, exception.Message);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await TypedResults.Problem(
            statusCode: StatusCodes.Status503ServiceUnavailable,
            title: "Service unavailable",
            detail: $"{reason}; retry in {RetryAfterSeconds} s").ExecuteAsync(httpContext);
        return true;
    }

    /// <summary>Why the cluster could not answer, or null for an exception that is a real error.</summary>
    public static string? Reason(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case StorageUnavailableException:
                    return "grain storage (PostgreSQL) is unavailable";
                case ContainerRuntimeException:
                    return "the container engine of a node failed";
                case Granary.Folders.FoldersUnavailableException:
                    return "folder storage is not mounted on the node that holds this folder";
                case SiloUnavailableException or OrleansMessageRejectionException or Orleans.Runtime.Messaging.ConnectionFailedException:
                    return "a silo of the cluster is unavailable";
                case TimeoutException:
                    return "the cluster did not answer in time";
                case InvalidOperationException when e.Message.StartsWith("No silo found", StringComparison.Ordinal):
                    return "no silo of the needed role is up";
            }
        }
        return null;
    }
}
