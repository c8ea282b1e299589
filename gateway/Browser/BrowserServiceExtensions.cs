using Granary.Gateway.Hosting;
using Microsoft.AspNetCore.DataProtection;

namespace Granary.Gateway.Browser;

public static class BrowserServiceExtensions
{
    /// <summary>
    /// App origins (Granary:Apps) and the browser tokens. Their data-protection keys live in the data directory
    /// (data-protection/): gateways that serve the same users share it, or a browser signed in at one is a stranger
    /// at the next.
    /// </summary>
    public static IHostApplicationBuilder AddGranaryBrowser(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<AppsOptions>(builder.Configuration.GetSection(AppsOptions.Section));
        var dataDirectory = builder.Configuration["Granary:DataDirectory"] ?? GatewayOptions.DefaultDataDirectory;
        builder.Services.AddDataProtection()
            .SetApplicationName("Granary")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDirectory, "data-protection")));
        builder.Services.AddSingleton<AppOrigins>();
        builder.Services.AddSingleton<BrowserTokens>();
        builder.Services.AddSingleton<UsedTickets>();
        return builder;
    }
}
