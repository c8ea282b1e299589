using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Granary.Silo.Hosting;

/// <summary>One line when the silo has joined its cluster: where it is, which roles and which nodes it hosts.</summary>
public sealed class SiloJoinedLog(
    ILocalSiloDetails silo,
    IOptions<ClusterOptions> cluster,
    GranaryHostOptions options,
    IServiceProvider services,
    ILogger<SiloJoinedLog> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SiloJoinedLog), ServiceLifecycleStage.Active, _ =>
        {
            var nodes = (services.GetService(typeof(IReadOnlyList<AgentNode>)) as IReadOnlyList<AgentNode> ?? []).Select(n => n.Id).ToArray();
            logger.LogInformation("Silo {Silo} joined cluster {ClusterId} ({Clustering} clustering, {Storage} storage) with roles {Roles}; nodes: {Nodes}",
                silo.SiloAddress, cluster.Value.ClusterId, options.Clustering, options.EffectiveGrainStorage, options.Roles,
                nodes.Length == 0 ? "none" : string.Join(", ", nodes.Take(10)) + (nodes.Length > 10 ? $", … ({nodes.Length})" : ""));
            return Task.CompletedTask;
        });
}
