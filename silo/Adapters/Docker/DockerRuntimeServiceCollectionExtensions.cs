using Granary.Agents.Runtime;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Granary.Silo.Adapters.Docker;

public static class DockerRuntimeServiceCollectionExtensions
{
    /// <summary>Registers the Docker driver as the node's <see cref="IContainerRuntime"/>, configured from
    /// the "Granary:Agent:Docker" section of <paramref name="configuration"/> (the root configuration).</summary>
    public static IServiceCollection AddDockerContainerRuntime(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DockerRuntimeOptions>().Bind(configuration.GetSection(DockerRuntimeOptions.SectionName));
        services.AddSingleton(sp => new DockerContainerRuntime(sp.GetRequiredService<IOptions<DockerRuntimeOptions>>().Value));
        services.AddSingleton<IContainerRuntime>(sp => sp.GetRequiredService<DockerContainerRuntime>());
        return services;
    }
}
