using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Granary.Silo.Hosting;

/// <summary>Console logs an operator can use. With Granary:Logging:Json true: JSON, one object per line with its
/// scopes, what a log collector indexes (lines about a session carry SessionId, Node and Owner, see
/// SessionLogFields). Otherwise plain lines, one per entry, each with its UTC time, to read and grep.</summary>
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
        else
        {
            logging.AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.UseUtcTimestamp = true;
                console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                console.ColorBehavior = LoggerColorBehavior.Disabled;
            });
        }
        return logging;
    }
}
