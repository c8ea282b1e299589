using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Granary.Silo.Hosting;

/// <summary>Console logs as JSON, one object per line with its scopes, when Granary:Logging:Json is true: what a log
/// collector indexes. Lines about a session then carry SessionId, Node and Owner (see SessionLogFields) as properties
/// of their scope. Without the setting the console keeps its plain lines (and Logging:Console still rules).</summary>
public static class GranaryLogging
{
    public const string JsonKey = "Granary:Logging:Json";

    public static ILoggingBuilder AddGranaryConsole(this ILoggingBuilder logging, IConfiguration configuration)
    {
        if (configuration.GetValue<bool>(JsonKey))
        {
            logging.AddJsonConsole(json =>
            {
                json.IncludeScopes = true;
                json.UseUtcTimestamp = true;
                json.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
            });
        }
        return logging;
    }
}
