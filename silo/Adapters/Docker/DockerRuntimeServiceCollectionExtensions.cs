using Granary.Agents;
using Granary.Agents.Runtime;
using Granary.Folders;
using Granary.Silo.Adapters.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Granary.Silo.Adapters.Docker;

public static class DockerRuntimeServiceCollectionExtensions
{
    /// <summary>Registers the Docker driver as the node's <see cref="IContainerRuntime"/>, configured from
    /// the "Granary:Agent:Docker" section of <paramref name="configuration"/> (the root configuration).</summary>
    public static IServiceCollection AddDockerContainerRuntime(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DockerRuntimeOptions>().Bind(configuration.GetSection(DockerRuntimeOptions.SectionName))
            // A bad port range stops the silo at start (PublishPortRange throws, naming the key) rather than each session.
            .Validate(o => o.PublishPortRange() is { }).ValidateOnStart();
        services.AddSingleton(sp => new DockerContainerRuntime(sp.GetRequiredService<IOptions<DockerRuntimeOptions>>().Value));
        services.AddSingleton<IContainerRuntime>(sp => sp.GetRequiredService<DockerContainerRuntime>());
        var folders = configuration.GetSection(FolderOptions.Section).Get<FolderOptions>() ?? new FolderOptions();
        if (folders.NoSuid && OperatingSystem.IsLinux())
        {
            // Replaces the plain folder storage: containers get their folders from a nosuid,nodev root.
            services.AddSingleton<IFolderStorage>(sp =>
            {
                var storage = new LocalFolderStorage(folders.Root);
                storage.MoveLegacyFolders(sp.GetRequiredService<ILoggerFactory>().CreateLogger<LocalFolderStorage>());
                return new NoSuidFolderStorage(storage);
            });
        }
        return services;
    }
}
