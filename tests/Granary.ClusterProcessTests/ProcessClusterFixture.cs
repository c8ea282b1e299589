namespace Granary.ClusterProcessTests;

/// <summary>A process cluster shared by the tests of one class (each test leaves it as it found it); siloSettings go to
/// every silo.</summary>
public abstract class ProcessClusterFixture(string name, int managers = 2, int agents = 2, int gateways = 2,
    IReadOnlyList<string>? siloSettings = null) : IAsyncLifetime
{
    public ProcessCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await ProcessCluster.Start(name, managers, agents, gateways, siloSettings: siloSettings);

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
    }
}
