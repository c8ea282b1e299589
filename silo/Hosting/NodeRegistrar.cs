using Granary.Agents;
using Granary.Agents.Runtime;
using Microsoft.Extensions.Hosting;
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
    ILocalSiloDetails silo,
    IHostApplicationLifetime lifetime,
    ILogger<NodeRegistrar> logger) : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private readonly CancellationTokenSource _stopping = new();
    private Task _registering = Task.CompletedTask;
    private volatile bool _refused;

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
        if (_refused)
        {
            return;
        }
        logger.LogInformation("Registered {Count} node(s): {Nodes}", nodes.Count, string.Join(", ", nodes.Take(10).Select(n => n.Id)) + (nodes.Count > 10 ? ", …" : ""));
        await KeepActive(cancellationToken);
    }

    /// <summary>An agent grain drives its node from its own timers (liveness, snapshots), so nothing else calls it:
    /// were its activation ever dropped (Orleans may deactivate a grain when cluster membership changes), the node
    /// would fall silent and be declared lost. Touching every node twice per LostAfter brings such a grain back in
    /// time (paced like the heartbeats: a silo of many nodes touches each less often).</summary>
    private async Task KeepActive(CancellationToken cancellationToken)
    {
        var period = agentOptions.Value.HeartbeatPace.LostAfterFor(nodes.Count) / 2;
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(period, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await Parallel.ForEachAsync(nodes, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (node, _) =>
            {
                try
                {
                    await grains.GetGrain<IAgentGrain>(node.Id).GetSnapshot();
                }
                catch (Exception exception)
                {
                    logger.LogWarning("Node {Node}: its agent grain did not answer ({Error}); retrying", node.Id, exception.Message);
                }
            });
        }
    }

    /// <summary>Claims the node id and its GPU UUIDs at the liveness grain. A claim that a live silo holds is retried
    /// for ClaimPatience (a restarted node's previous silo may not be declared dead yet), then the silo stops with the
    /// reason: two silos must never drive one node, nor two nodes one GPU.</summary>
    private async Task<bool> Claim(AgentNode node, CancellationToken cancellationToken)
    {
        var claim = new NodeClaim(node.Id, silo.SiloAddress.ToParsableString(), [.. node.Capacity.Gpus.Select(g => g.Uuid)]);
        var giveUp = DateTimeOffset.UtcNow + agentOptions.Value.ClaimPatience;
        for (var attempt = 1; ; attempt++)
        {
            string? refusal;
            try
            {
                refusal = await grains.GetGrain<INodeLivenessGrain>(INodeLivenessGrain.Key).Claim(claim);
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
            {
                logger.Log(attempt % 10 == 1 ? LogLevel.Warning : LogLevel.Debug, exception,
                    "Claiming node {Node} failed (attempt {Attempt}); retrying", node.Id, attempt);
                await Task.Delay(RetryDelay, cancellationToken);
                continue;
            }
            if (refusal is null)
            {
                return true;
            }
            if (DateTimeOffset.UtcNow >= giveUp)
            {
                _refused = true;
                logger.LogCritical("Refused to start: {Refusal}. Give every agent silo its own node ids (Granary:Agent:Nodes:N:Id) " +
                    "and GPUs; this silo stops.", refusal);
                Environment.ExitCode = 3;
                lifetime.StopApplication();
                return false;
            }
            logger.LogWarning("Node {Node} cannot be claimed yet: {Refusal}; retrying until {GiveUp:O}", node.Id, refusal, giveUp);
            await Task.Delay(RetryDelay, cancellationToken);
        }
    }

    private async Task Register(AgentNode node, CancellationToken cancellationToken)
    {
        if (!await Claim(node, cancellationToken))
        {
            return;
        }
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
