using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Granary.ClusterProcessTests;

/// <summary>A manager and a gateway; the test starts the one agent itself, with its own folder root.</summary>
public sealed class FolderShareFixture() : ProcessClusterFixture("folders", managers: 1, agents: 0, gateways: 1);

/// <summary>A node whose folder root is not the cluster's shared storage (no marker naming the cluster) holds no
/// folder and takes no session that mounts one, says why, and does both once the share is there.</summary>
public sealed class FolderShareTests(FolderShareFixture fixture) : IClassFixture<FolderShareFixture>, IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("granary-share-").FullName;
    private GranaryProcess? _node;

    private ProcessCluster Cluster => fixture.Cluster;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // Sessions first, while the node still runs them; then the node.
        using (var client = Cluster.Gateway())
        {
            await Rest.DeleteEverything(client);
        }
        _node?.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Node_without_the_clusters_share_holds_no_folder_and_runs_no_session_that_mounts_one_until_it_is_there()
    {
        var node = _node = Cluster.Agent("node-s", more: ["--Granary:Folders:Shared=true", "--Granary:Folders:Root=" + _root]);
        node.Start();
        using var client = Cluster.Gateway();
        await Cluster.Until(async () => (await ProcessCluster.AliveAgents(client)).Contains("node-s"), ProcessCluster.StartPatience, "node-s alive");
        var marker = Path.Combine(_root, ".granary-cluster");
        await WaitForFoldersUnavailable(client, expected: true);
        Assert.Contains("no .granary-cluster marker", node.Log());

        // Folders live on the agents' storage: with no share there, creating one answers 503 and creates nothing.
        var folder = $"data-{Guid.NewGuid():N}"[..16];
        using (var refused = await client.PostAsJsonAsync("/v1/folders", new { name = folder }))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Contains("folder storage is not mounted", await refused.Content.ReadAsStringAsync());
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root));

        // The share appears (the marker names the cluster): the folder is made on it.
        await File.WriteAllTextAsync(marker, Cluster.Database + "\n");
        (await client.PostAsJsonAsync("/v1/folders", new { name = folder })).EnsureSuccessStatusCode();
        Assert.Single(Directory.EnumerateDirectories(_root, folder, SearchOption.AllDirectories));
        await WaitForFoldersUnavailable(client, expected: false);

        // The share goes away: the node says so at its next heartbeat and takes no session that mounts a folder.
        File.Delete(marker);
        await WaitForFoldersUnavailable(client, expected: true);
        var mounting = await Rest.Create(client, new
        {
            image = "python:3.11",
            resources = new { cpu = 1, memory = "1g" },
            mounts = new[] { new { folder, path = "/home/work/data" } },
        });
        var mountingId = mounting.GetProperty("id").GetString()!;
        var plain = await Rest.Create(client, Rest.Session());
        Assert.Equal("node-s", Rest.Agent(await Rest.WaitForStatus(client, plain.GetProperty("id").GetString()!, "RUNNING")));
        var waiting = await Rest.WaitFor(client, mountingId,
            s => s.GetProperty("statusReason").GetString()!.StartsWith("no agent can mount storage folders now", StringComparison.Ordinal),
            "waits for a node that can mount folders");
        Assert.Equal("PENDING", Rest.Status(waiting));
        Assert.Contains("node node-s: its folder root is not the cluster's shared storage", waiting.GetProperty("statusReason").GetString());

        // Back: the waiting session runs there.
        await File.WriteAllTextAsync(marker, Cluster.Database + "\n");
        Assert.Equal("node-s", Rest.Agent(await Rest.WaitForStatus(client, mountingId, "RUNNING")));
    }

    private static async Task WaitForFoldersUnavailable(HttpClient client, bool expected) =>
        await Eventually.True(async () =>
        {
            var reason = (await Rest.Agents(client))["node-s"].GetProperty("foldersUnavailable");
            return expected
                ? reason.ValueKind == JsonValueKind.String && reason.GetString()!.Contains("not the cluster's shared storage", StringComparison.Ordinal)
                : reason.ValueKind == JsonValueKind.Null;
        }, expected ? "node-s says it cannot mount folders" : "node-s says it can mount folders");
}
