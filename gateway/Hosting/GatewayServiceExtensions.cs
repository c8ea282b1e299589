using System.Text.Json;
using System.Text.Json.Serialization;
using Granary.Silo.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.FileProviders;

namespace Granary.Gateway.Hosting;

public static class GatewayServiceExtensions
{
    /// <summary>The Orleans side: a silo with both roles in this process (all-in-one), or a client of a cluster.</summary>
    public static IHostApplicationBuilder AddGranaryCluster(this IHostApplicationBuilder builder)
        => GatewayOptions.ModeFrom(builder.Configuration) == GatewayOptions.AllInOne
            ? builder.AddGranarySilo()
            : builder.AddGranaryClient(builder.Configuration.GetValue($"{GatewayOptions.Section}:{nameof(GatewayOptions.ResponseTimeout)}", GatewayOptions.DefaultResponseTimeout));

    /// <summary>Gateway options, JSON, problem details, the startup banner.</summary>
    public static IHostApplicationBuilder AddGranaryGateway(this IHostApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        builder.Services.Configure<GatewayOptions>(options =>
        {
            configuration.GetSection(GatewayOptions.Section).Bind(options);
            options.DataDirectory = configuration["Granary:DataDirectory"] ?? GatewayOptions.DefaultDataDirectory;
        });
        builder.Services.ConfigureHttpJsonOptions(options =>
            options.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<Http.ClusterUnavailableHandler>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddHostedService<StartupBanner>();
        builder.Services.AddHttpForwarder();
        builder.Services.AddSingleton<Apps.AppProxyClient>();
        builder.Services.AddSingleton<Agents.AgentSnapshots>();
        builder.Services.TryAddSingleton<Granary.Agents.ImageCatalogCache>();
        builder.Services.AddSingleton<Activity.SessionActivity>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Activity.SessionActivity>());
        return builder;
    }

    /// <summary>
    /// Browser libraries installed from npm into the gateway folder (gateway/package.json), served under /vendor/.
    /// </summary>
    public static WebApplication UseVendorFiles(this WebApplication app)
    {
        foreach (var (path, package) in new[] { ("/vendor/xterm", "@xterm/xterm"), ("/vendor/xterm-addon-fit", "@xterm/addon-fit") })
        {
            var directory = Path.Combine(app.Environment.ContentRootPath, "node_modules", package);
            if (!Directory.Exists(directory))
            {
                app.Logger.LogWarning("{Package} is not installed in {Directory} (npm install in gateway/): the web terminal will not work.", package, directory);
                continue;
            }

            app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(directory), RequestPath = path });
        }

        return app;
    }

    /// <summary>How request bodies are read: web defaults, and unknown fields are errors (a typo must not be ignored).</summary>
    public static readonly JsonSerializerOptions RequestJson = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };
}
