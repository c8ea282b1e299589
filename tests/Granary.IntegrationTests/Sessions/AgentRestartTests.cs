using System.Text;
using Docker.DotNet.Models;
using Granary.Agents;
using Granary.Agents.Runtime;
using Granary.Sessions;
using Granary.Silo.Adapters.Docker;

namespace Granary.IntegrationTests.Sessions;

/// <summary>The node's truth survives its agent silo: containers keep running while no agent watches them, and the
/// next agent silo for the node reconciles with what Docker has.</summary>
[Collection(DockerCollection.Name)]
public sealed class AgentRestartTests(DockerFixture docker) : IAsyncLifetime
{
    private GranaryCluster _cluster = null!;

    public async Task InitializeAsync()
        => _cluster = await GranaryCluster.Start("restart", GranaryCluster.DockerAgent(DockerFixture.Endpoint()));

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await GranaryCluster.RemoveContainersOf(_cluster.NodeId);
    }

    [Fact]
    public async Task A_new_agent_silo_adopts_the_running_session_of_a_killed_one_and_removes_orphan_containers_and_networks()
    {
        var session = await Session.Create(_cluster.Client, Session.Spec(DockerFixture.BaseImage));
        var running = await Session.WaitFor(session, SessionStatus.Running, SessionStatus.Error);
        Assert.True(running.Status == SessionStatus.Running, running.StatusReason);
        // A container labelled for this node whose session the node does not hold (left by a crash, say).
        var orphan = await docker.Runtime.Create(docker.Spec("orphan", DockerFixture.BaseImage) with
        {
            Labels = new Dictionary<string, string>
            {
                [DockerFixture.RunLabel] = docker.RunId,
                [ContainerLabels.Node] = _cluster.NodeId,
                [ContainerLabels.Session] = $"ghost-{Guid.NewGuid():N}",
            },
        }, CancellationToken.None);
        await docker.Runtime.Start(orphan, CancellationToken.None);
        // A session network labelled for this node that no container uses (a crash between making it and its
        // container, or between removing the container and it).
        var leftover = await docker.Docker.Networks.CreateNetworkAsync(new NetworksCreateParameters
        {
            Name = $"granary-leftover-{Guid.NewGuid():N}",
            Labels = new Dictionary<string, string>
            {
                [DockerFixture.RunLabel] = docker.RunId,
                [SessionNetworks.Label] = "true",
                [ContainerLabels.Node] = _cluster.NodeId,
                [ContainerLabels.Session] = $"ghost-{Guid.NewGuid():N}",
            },
        });

        var killed = _cluster.AgentSilo;
        await _cluster.KillAgentSilo();

        Assert.Equal(ContainerState.Running, (await docker.Runtime.Inspect(running.ContainerId!, CancellationToken.None))?.State);

        await _cluster.StartAgentSilo();
        Assert.False(killed.IsActive);
        Assert.NotEqual(killed.SiloAddress, _cluster.AgentSilo.SiloAddress);

        await Eventually.True(async () => await docker.Runtime.Inspect(orphan, CancellationToken.None) is null, "the orphan container is removed");
        await Eventually.True(async () => !(await docker.Docker.Networks.ListNetworksAsync()).Any(n => n.ID == leftover.ID),
            "the leftover session network is removed");
        var adopted = (await session.Get())!;
        Assert.Equal(SessionStatus.Running, adopted.Status);
        Assert.Equal(running.ContainerId, adopted.ContainerId);
        Assert.Equal(ContainerState.Running, (await docker.Runtime.Inspect(running.ContainerId!, CancellationToken.None))?.State);
        Assert.Equal([running.Id], (await _cluster.Agent.GetSnapshot()).Allocations.Select(a => a.SessionId));

        // The new agent drives the adopted container: a terminal reaches it. Adoption runs in the new activation's
        // background reconciliation after the orphans are removed, so the terminal may be refused for a moment.
        var terminal = "";
        await Eventually.True(async () =>
        {
            try
            {
                terminal = await _cluster.Agent.OpenTerminal(running.Id, 80, 24);
                return true;
            }
            catch (InvalidOperationException refused) when (refused.Message.Contains("has no running container", StringComparison.Ordinal))
            {
                return false;
            }
        }, "the new agent adopts the running session and opens a terminal in it");
        var output = TerminalOutput.Of(_cluster.Agent.ReadTerminal(terminal));
        await output.WaitForTmux();
        await _cluster.Agent.WriteTerminal(terminal, Encoding.UTF8.GetBytes("echo $((6*7))\r"));
        await output.WaitFor("42");
        await _cluster.Agent.CloseTerminal(terminal);

        var ended = await Session.Delete(session);

        Assert.Equal(SessionStatus.Terminated, ended.Status);
        Assert.Null(await docker.Runtime.Inspect(running.ContainerId!, CancellationToken.None));
        Assert.Empty((await _cluster.Agent.GetSnapshot()).Allocations);
    }
}

/// <summary>An agent that starts with no state of its own (memory storage after a restart of the all-in-one) holds
/// no sessions: every container labelled for its node is left over, and goes.</summary>
[Collection(DockerCollection.Name)]
public sealed class FreshAgentTests(DockerFixture docker)
{
    [Fact]
    public async Task A_node_starting_without_state_removes_the_containers_labelled_for_it()
    {
        var nodeId = GranaryCluster.NewNodeId("fresh");
        var leftover = await docker.Runtime.Create(docker.Spec("leftover", DockerFixture.BaseImage) with
        {
            Labels = new Dictionary<string, string>
            {
                [DockerFixture.RunLabel] = docker.RunId,
                [ContainerLabels.Node] = nodeId,
                [ContainerLabels.Session] = $"before-{Guid.NewGuid():N}",
            },
        }, CancellationToken.None);
        await docker.Runtime.Start(leftover, CancellationToken.None);
        var other = await docker.Runtime.Create(docker.Spec("other-node", DockerFixture.BaseImage) with
        {
            Labels = new Dictionary<string, string>
            {
                [DockerFixture.RunLabel] = docker.RunId,
                [ContainerLabels.Node] = $"{nodeId}-other",
                [ContainerLabels.Session] = $"elsewhere-{Guid.NewGuid():N}",
            },
        }, CancellationToken.None);

        await using var cluster = await GranaryCluster.Start("fresh", GranaryCluster.DockerAgent(DockerFixture.Endpoint()), nodeId);

        await Eventually.True(async () => await docker.Runtime.Inspect(leftover, CancellationToken.None) is null, "the leftover container is removed");
        Assert.NotNull(await docker.Runtime.Inspect(other, CancellationToken.None)); // another node's container is not this agent's
        await docker.Runtime.Remove(other, CancellationToken.None);
    }
}
