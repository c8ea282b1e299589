using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Granary.Silo.Hosting;

/// <summary>Console logs an operator can read and grep: one line per entry, each with its UTC time.</summary>
public static class GranaryLogging
{
    public static ILoggingBuilder AddGranaryConsole(this ILoggingBuilder logging) =>
        logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.UseUtcTimestamp = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            console.ColorBehavior = LoggerColorBehavior.Disabled;
        });
}
