namespace Granary.ClusterProcessTests;

/// <summary>A process cluster shared by the tests of one class (each test leaves it as it found it).</summary>
public abstract class ProcessClusterFixture(string name) : IAsyncLifetime
{
    public ProcessCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await ProcessCluster.Start(name);

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
    }
}
