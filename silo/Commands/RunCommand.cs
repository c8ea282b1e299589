using Granary.Silo.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Granary.Silo.Commands;

/// <summary>`granary-silo run`: hosts a silo until stopped. Configuration: appsettings.json, environment
/// (Granary__Roles=agent) and command line (--Granary:Roles=agent).</summary>
public static class RunCommand
{
    public static async Task<int> Run(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders().AddGranaryConsole(builder.Configuration);
        builder.AddGranarySilo();
        builder.AddGranarySiloMetrics();
        await builder.Build().RunAsync();
        // Non-zero when the silo stopped itself for a reason (a node id or GPU claimed by another live silo: 3).
        return Environment.ExitCode;
    }
}
