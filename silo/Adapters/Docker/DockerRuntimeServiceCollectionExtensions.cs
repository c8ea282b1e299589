using Granary.Agents;
using Granary.Agents.Launch;
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
        services.AddOptions<DockerRuntimeOptions>().Bind(configuration.GetSection(DockerRuntimeOptions.SectionName));
        services.AddSingleton(sp => new DockerContainerRuntime(sp.GetRequiredService<IOptions<DockerRuntimeOptions>>().Value));
        services.AddSingleton<IContainerRuntime>(sp => sp.GetRequiredService<DockerContainerRuntime>());
        var folders = configuration.GetSection(FolderOptions.Section).Get<FolderOptions>() ?? new FolderOptions();
        // Replaces the plain folder storage: folders belong to the session user as this node's engine maps it (under
        // user namespaces, uid 1000 in a container is base+1000 on the host), and containers get them from a
        // nosuid,nodev root. The engine is asked once, when the node first needs a folder.
        services.AddSingleton<IFolderStorage>(sp =>
        {
            var runtime = sp.GetRequiredService<DockerContainerRuntime>();
            var root = Task.Run(() => runtime.RootOnHost(CancellationToken.None)).GetAwaiter().GetResult();
            var storage = new LocalFolderStorage(folders.Root, root.Uid + LaunchSpec.SessionUid, root.Gid + LaunchSpec.SessionUid);
            storage.MoveLegacyFolders(sp.GetRequiredService<ILoggerFactory>().CreateLogger<LocalFolderStorage>());
            return folders.NoSuid && OperatingSystem.IsLinux() ? new NoSuidFolderStorage(storage) : storage;
        });
        return services;
    }
}
