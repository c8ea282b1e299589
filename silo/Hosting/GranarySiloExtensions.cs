using System.Net;
using Granary.Agents;
using Granary.Folders;
using Granary.Policies;
using Granary.Scheduling;
using Granary.Silo.Adapters.Mps;
using Granary.Silo.Adapters.Storage;
using Granary.SiloPlacement;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.GrainDirectory;
using Orleans.Runtime.Hosting;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Granary.Silo.Hosting;

/// <summary>Adds a Granary silo to a host, configured from the "Granary" configuration section.</summary>
public static class GranarySiloExtensions
{
    /// <summary>The ADO.NET storage itself, which grains reach only through StorageFailureMapping.</summary>
    private const string AdoNetStorageName = "granary-adonet";

    /// <summary>Grain-state writes committed in groups (GroupCommitGrainStorage).</summary>
    private const string GroupCommitStorageName = "granary-group-commit";

    /// <summary>The connection pool whose statements go in groups: grain-state writes and the grain directory's.</summary>
    private const string CommandGroupsName = "granary-postgres";

    /// <summary>Roles (manager, agent or both), clustering, storage, agent nodes and the container runtime,
    /// all from configuration. Used by the silo executable and by the gateway's all-in-one mode.</summary>
    public static IHostApplicationBuilder AddGranarySilo(this IHostApplicationBuilder builder)
    {
        var options = ReadOptions(builder.Configuration);
        builder.Logging.AddGranaryConsole(builder.Configuration);
        builder.UseOrleans(silo =>
        {
            silo.UseGranaryClustering(options);
            silo.UseGranaryTls(options.Tls);
            silo.AddGranary(builder.Configuration);
        });
        return builder;
    }

    /// <summary>Everything of a Granary silo except clustering and endpoints, for hosts that set those up
    /// themselves (the test cluster): roles as silo metadata, placement, grain storage, options, and for the
    /// agent role the nodes, the container runtime and their registration.</summary>
    public static ISiloBuilder AddGranary(this ISiloBuilder silo, IConfiguration configuration)
    {
        var options = ReadOptions(configuration);
        var services = silo.Services;
        var metadata = new Dictionary<string, string>();

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, SiloJoinedLog>();
        services.AddSingleton<SiloFinder>();
        services.TryAddSingleton<ImageCatalogCache>();
        silo.AddPlacementDirector<ManagerPlacement, ManagerPlacementDirector>();
        silo.AddPlacementDirector<AgentNodePlacement, AgentNodePlacementDirector>();
        silo.AddPlacementDirector<FolderStoragePlacement, FolderStoragePlacementDirector>();

        services.Configure<SchedulerOptions>(configuration.GetSection(SchedulerOptions.Section));
        services.Configure<AgentOptions>(configuration.GetSection(AgentOptions.Section));
        services.Configure<FolderOptions>(configuration.GetSection(FolderOptions.Section));
        services.Configure<QuotaOptions>(configuration.GetSection(QuotaOptions.Section));
        services.AddSingleton<IFolderStorage>(sp =>
        {
            var folders = sp.GetRequiredService<IOptions<FolderOptions>>().Value;
            var local = new LocalFolderStorage(folders.Root);
            local.MoveLegacyFolders(sp.GetRequiredService<ILoggerFactory>().CreateLogger<LocalFolderStorage>());
            return folders.Shared ? new ClusterMarkedFolderStorage(local, local.Root, options.ClusterId) : local;
        });

        if (options.EffectiveGrainStorage == "adonet")
        {
            // Orleans' binary serializer, as for every message: the state types are [GenerateSerializer] with field
            // ids (version tolerant), immutable collections and records included, and no JSON name matching.
            silo.AddAdoNetGrainStorage(AdoNetStorageName, storage => storage.Configure<Serializer>((storage, serializer) =>
            {
                storage.Invariant = "Npgsql";
                storage.ConnectionString = options.Database.PooledConnectionString;
                storage.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
            }));
            services.TryAddKeyedSingleton(CommandGroupsName, (_, _) => PostgresCommandGroups.Create(options.Database.ConnectionString
                ?? throw new InvalidOperationException("Granary:Database:ConnectionString is required for adonet storage")));
            services.AddKeyedSingleton(GroupCommitStorageName, (sp, _) => new GroupCommitGrainStorage(
                sp.GetRequiredKeyedService<IGrainStorage>(AdoNetStorageName), sp.GetRequiredKeyedService<PostgresCommandGroups>(CommandGroupsName),
                sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId,
                sp.GetRequiredService<IOptionsMonitor<AdoNetGrainStorageOptions>>().Get(AdoNetStorageName).GrainStorageSerializer,
                sp.GetRequiredService<IActivatorProvider>()));
            services.AddKeyedSingleton<IGrainStorage>(GranaryStorage.Name, (sp, _) =>
                new StorageFailureMapping(sp.GetRequiredKeyedService<GroupCommitGrainStorage>(GroupCommitStorageName)));
        }
        else
        {
            services.AddKeyedSingleton<IGrainStorage>(GranaryStorage.Name, (sp, _) => new InProcessGrainStorage(sp.GetRequiredService<DeepCopier>()));
        }

        // Reminders live where grain state does (sessions' time limits outlive a restart through them).
        if (options.EffectiveGrainStorage == "adonet")
        {
            silo.UseAdoNetReminderService(reminders =>
            {
                reminders.Invariant = "Npgsql";
                reminders.ConnectionString = options.Database.PooledConnectionString;
            });
        }
        else
        {
            silo.UseInMemoryReminderService();
        }
        services.Configure<ReminderOptions>(configuration.GetSection("Granary:Reminders"));
        // Orleans declares a silo dead after NumMissedProbesLimit missed probes (about 10-15 s by default) and that
        // silo stops: a node that stalls longer restarts under its supervisor and re-adopts its containers. Raising
        // the limit lets a node ride out a longer stall, as Granary's own LostAfter/LostGrace would allow.
        services.Configure<ClusterMembershipOptions>(configuration.GetSection("Granary:Membership"));

        if (options.HasManagerRole)
        {
            metadata[SiloMetadataKeys.ManagerRole] = "true";
        }
        if (options.HasAgentRole)
        {
            var nodes = AgentNode.Read(configuration);
            metadata[SiloMetadataKeys.AgentRole] = "true";
            foreach (var node in nodes)
            {
                metadata[SiloMetadataKeys.Node(node.Id)] = "true";
            }
            services.AddGranaryNodes(configuration, nodes);
            services.AddGranaryContainerRuntime(configuration);
            services.AddSingleton<IMpsDaemon>(sp => sp.GetRequiredService<IOptions<AgentOptions>>().Value.Enforcement is { ManageMpsDaemon: true } enforcement
                ? new MpsDaemonSupervisor(enforcement, sp.GetRequiredService<ILogger<MpsDaemonSupervisor>>())
                : new NoMpsDaemon());
            services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, GpuEnforcementSetup>();
            services.AddSingleton<NodeRegistrar>();
            services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<NodeRegistrar>());
            services.AddHostedService<SshActivityProbe>();
        }
        silo.UseSiloMetadata(metadata);
        // The Orleans dashboard's grain statistics on every silo; the gateway serves its pages (admins only).
        silo.AddDashboard();
        return silo;
    }

    private static void UseGranaryClustering(this ISiloBuilder silo, GranaryHostOptions options)
    {
        if (options.Clustering == "adonet")
        {
            silo.UseAdoNetClustering(clustering =>
            {
                clustering.Invariant = "Npgsql";
                clustering.ConnectionString = options.Database.PooledConnectionString;
            });
            // Every grain's directory entry in the database rather than spread over the silos, agents included: an
            // agent silo that dies then stalls and deactivates nothing but its own grains (see PostgresGrainDirectory).
            silo.Services.TryAddKeyedSingleton(CommandGroupsName, (_, _) => PostgresCommandGroups.Create(options.Database.ConnectionString
                ?? throw new InvalidOperationException("Granary:Database:ConnectionString is required for adonet clustering")));
            silo.AddGrainDirectory(GrainDirectoryAttribute.DEFAULT_GRAIN_DIRECTORY, (sp, _) => new PostgresGrainDirectory(
                sp.GetRequiredKeyedService<PostgresCommandGroups>(CommandGroupsName), sp.GetRequiredService<IOptions<ClusterOptions>>(),
                sp.GetRequiredService<ILogger<PostgresGrainDirectory>>()));
            silo.Configure<ClusterOptions>(cluster =>
            {
                cluster.ClusterId = options.ClusterId;
                cluster.ServiceId = options.ServiceId;
            });
            silo.ConfigureEndpoints(options.AdvertisedAddress(), options.SiloPort, options.ClientGatewayPort, listenOnAnyHostAddress: false);
        }
        else
        {
            var primary = new IPEndPoint(IPAddress.Loopback, options.PrimarySiloPort ?? options.SiloPort);
            silo.UseLocalhostClustering(options.SiloPort, options.ClientGatewayPort, primary, options.ServiceId, options.ClusterId);
        }
    }

    public static GranaryHostOptions ReadOptions(IConfiguration configuration) => GranaryHostOptions.From(configuration);
}
