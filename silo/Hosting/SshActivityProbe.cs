using Granary.Activity;
using Granary.Agents;
using Granary.Agents.Launch;
using Granary.Agents.Runtime;
using Granary.Sessions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Granary.Silo.Hosting;

/// <summary>
/// SSH connections count as use of a session (for its idleTimeout), but they go straight to the node, not through
/// the gateway. So every SshProbeInterval the agent reads each running session container's TCP table
/// (/proc/{pid}/net/tcp and tcp6 on the host: the container's own network namespace) and tells the sessions with an
/// established connection to their image's ssh port that they were used (one-way). Needs the agent on the
/// container's host with access to /proc (the Docker driver); other runtimes report no pid and are skipped.
/// </summary>
public sealed class SshActivityProbe(
    IReadOnlyList<AgentNode> nodes,
    IContainerRuntime runtime,
    IGrainFactory grains,
    IOptions<AgentOptions> options,
    ILogger<SshActivityProbe> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SshProbeInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await ProbeAll(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task ProbeAll(CancellationToken cancellationToken)
    {
        foreach (var node in nodes)
        {
            try
            {
                var containers = await runtime.List(new Dictionary<string, string> { [ContainerLabels.Node] = node.Id }, cancellationToken);
                foreach (var container in containers.Where(c => c is { State: ContainerState.Running, Pid: not null }))
                {
                    if (container.Labels.TryGetValue(ContainerLabels.Session, out var sessionId)
                        && await SshPort(container.Image, cancellationToken) is { } port
                        && HasConnection(container.Pid!.Value, port))
                    {
                        _ = grains.GetGrain<ISessionGrain>(sessionId).Touched();
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Could not look for SSH connections to the sessions of node {Node}", node.Id);
            }
        }
    }

    private async Task<int?> SshPort(string image, CancellationToken cancellationToken)
    {
        var found = await runtime.FindImage(image, cancellationToken);
        return found is null ? null : ImageApps.Parse(found.Labels).FirstOrDefault(a => a.Name == "ssh")?.Port;
    }

    private static readonly string[] TcpTables = ["tcp", "tcp6"];

    private static bool HasConnection(int pid, int port) =>
        TcpTables
            .Select(table => $"/proc/{pid}/net/{table}")
            .Where(File.Exists)
            .Any(path => TcpTable.CountEstablished(File.ReadAllText(path), port) > 0);
}
