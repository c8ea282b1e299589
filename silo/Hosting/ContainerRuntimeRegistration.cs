using Granary.Agents.Runtime;
using Granary.Silo.Adapters.Docker;
using Granary.Silo.Adapters.Network;
using Granary.Silo.Adapters.Simulated;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Granary.Silo.Hosting;

/// <summary>Registers the IContainerRuntime that Granary:Agent:Driver names.</summary>
public static class ContainerRuntimeRegistration
{
    public const string DriverKey = "Granary:Agent:Driver";

    public static IServiceCollection AddGranaryContainerRuntime(this IServiceCollection services, IConfiguration configuration)
    {
        var driver = configuration[DriverKey] ?? "simulated";
        switch (driver)
        {
            case "simulated":
                services.AddSimulatedContainerRuntime(configuration);
                break;
            case "docker":
                services.AddDockerContainerRuntime(configuration);
                break;
            default:
                throw new InvalidOperationException($"{DriverKey} '{driver}' is not supported; use simulated or docker.");
        }
        // Real containers' apps are probed over the network (a driver may have registered its own probe).
        services.TryAddSingleton<IAppProbe>(_ => new NetworkAppProbe(new HttpClient { Timeout = Timeout.InfiniteTimeSpan }));
        return services;
    }
}
