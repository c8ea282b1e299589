namespace Granary.IntegrationTests.Sessions;

/// <summary>A manager and an agent silo whose node runs sessions on the Docker daemon, shared by a test class.
/// Every test ends its sessions; containers of the node that remain at the end are removed.</summary>
public sealed class SessionClusterFixture : IAsyncLifetime
{
    public GranaryCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
        => Cluster = await GranaryCluster.Start("sessions", GranaryCluster.DockerAgent(DockerFixture.Endpoint()));

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await GranaryCluster.RemoveContainersOf(Cluster.NodeId);
    }
}
