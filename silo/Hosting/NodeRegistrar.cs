using Granary.Agents;
using Granary.Agents.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Granary.Silo.Hosting;

/// <summary>
/// Once the agent silo is active, registers every node it hosts with its agent grain. The first calls may find
/// no silo for the node yet (silo metadata spreads asynchronously), so each registration is retried until it lands.
/// </summary>
public sealed class NodeRegistrar(
    IReadOnlyList<AgentNode> nodes,
    IGrainFactory grains,
    IContainerRuntime runtime,
    IOptions<AgentOptions> agentOptions,
    ILogger<NodeRegistrar> logger) : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private readonly CancellationTokenSource _stopping = new();
    private Task _registering = Task.CompletedTask;

    /// <summary>Completes when every node has registered (for tests and readiness checks).</summary>
    public Task Registered => _registering;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(NodeRegistrar), ServiceLifecycleStage.Active, OnStart, OnStop);

    private Task OnStart(CancellationToken cancellationToken)
    {
        _registering = Task.Run(() => RegisterAll(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task OnStop(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _registering.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public void Dispose() => _stopping.Dispose();

    private async Task RegisterAll(CancellationToken cancellationToken)
    {
        await Parallel.ForEachAsync(nodes, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken },
            async (node, ct) => await Register(node, ct));
        logger.LogInformation("Registered {Count} node(s)", nodes.Count);
    }

    private async Task Register(AgentNode node, CancellationToken cancellationToken)
    {
        var registration = new AgentRegistration(node.Id, node.ResourceGroup, node.Capacity, runtime.Name, agentOptions.Value.Host);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await grains.GetGrain<IAgentGrain>(node.Id).Register(registration);
                return;
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
            {
                logger.Log(attempt % 10 == 1 ? LogLevel.Warning : LogLevel.Debug, exception,
                    "Registering node {Node} failed (attempt {Attempt}); retrying", node.Id, attempt);
                await Task.Delay(RetryDelay, cancellationToken);
            }
        }
    }
}
