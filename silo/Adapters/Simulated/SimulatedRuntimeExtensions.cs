using Granary.Agents.Runtime;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Granary.Silo.Adapters.Simulated;

public static class SimulatedRuntimeExtensions
{
    public static IServiceCollection AddSimulatedContainerRuntime(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<SimulatedRuntimeOptions>(configuration.GetSection(SimulatedRuntimeOptions.Section));
        services.AddSingleton<SimulatedContainerRuntime>();
        services.AddSingleton<IContainerRuntime>(sp => sp.GetRequiredService<SimulatedContainerRuntime>());
        services.AddSingleton<SimulatedAppProbe>();
        services.AddSingleton<IAppProbe>(sp => sp.GetRequiredService<SimulatedAppProbe>());
        return services;
    }
}
