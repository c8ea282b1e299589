using Docker.DotNet;
using Granary.Agents.Launch;
using Granary.Agents.Runtime;
using Granary.Silo.Adapters.Docker;

namespace Granary.IntegrationTests;

/// <summary>
/// The real Docker daemon, through <see cref="DockerContainerRuntime"/> (and a raw client for inspect-level
/// checks). Endpoint: GRANARY_DOCKER_SOCKET (a socket path or URI), else DOCKER_HOST, else the private daemon
/// of deploy/scripts/docker-up.sh. No daemon or no images → every test fails, loudly.
/// Containers are labelled with this run's id and removed at the end.
/// </summary>
public sealed class DockerFixture : IAsyncLifetime
{
    public const string BaseImage = "granary/base:1";
    public const string PythonImage = "granary/python:3.11";
    public const string RunLabel = "granary.test-run";

    public string RunId { get; } = Guid.NewGuid().ToString("N")[..8];

    public DockerContainerRuntime Runtime { get; }

    public DockerClient Docker { get; }

    /// <summary>The host uid and gid of a container's root on this engine: 0, or 100000 under user namespaces
    /// (dockerd --userns-remap=default, the default of docker-up.sh).</summary>
    public (int Uid, int Gid) RootOnHost { get; private set; }

    /// <summary>The host uid and gid of the session user (container uid 1000): 1000, or 101000 under user namespaces.</summary>
    public (int Uid, int Gid) SessionUserOnHost => (RootOnHost.Uid + LaunchSpec.SessionUid, RootOnHost.Gid + LaunchSpec.SessionUid);

    /// <summary>Whether this engine maps container users to other host users (--userns-remap).</summary>
    public bool RemapsUsers => RootOnHost != (0, 0);

    public DockerFixture()
    {
        var options = new DockerRuntimeOptions { Endpoint = Endpoint() };
        Runtime = new DockerContainerRuntime(options);
        Docker = new DockerClientBuilder().WithEndpoint(Runtime.Endpoint).Build();
    }

    public async Task InitializeAsync()
    {
        try
        {
            await Runtime.Ping(CancellationToken.None);
        }
        catch (ContainerRuntimeException e)
        {
            throw new InvalidOperationException(
                $"No Docker daemon answers at {Runtime.Endpoint}. Start one with deploy/scripts/docker-up.sh " +
                "and set DOCKER_HOST (or GRANARY_DOCKER_SOCKET) to what it prints. " + e.Message, e);
        }
        foreach (var image in new[] { BaseImage, PythonImage })
        {
            if (await Runtime.FindImage(image, CancellationToken.None) is null)
                throw new InvalidOperationException($"Image {image} is missing at {Runtime.Endpoint}: run deploy/images/build.sh.");
        }
        RootOnHost = await Runtime.RootOnHost(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        var leftovers = await Runtime.List(new Dictionary<string, string> { [RunLabel] = RunId }, CancellationToken.None);
        foreach (var container in leftovers)
            await Runtime.Remove(container.Id, CancellationToken.None);
        await Runtime.RemoveLeftovers(new Dictionary<string, string> { [RunLabel] = RunId }, new HashSet<string>(), CancellationToken.None);
        Docker.Dispose();
        Runtime.Dispose();
    }

    /// <summary>A spec with sane defaults (0.5 CPU, 256 MiB) and this run's label; adjust with `with`.</summary>
    public ContainerSpec Spec(string test, string image, IReadOnlyList<string>? command = null) => new(
        Name: $"granary-it-{test}-{Guid.NewGuid().ToString("N")[..8]}",
        Image: image,
        Command: command,
        Env: new Dictionary<string, string>(),
        Labels: new Dictionary<string, string> { [RunLabel] = RunId, ["granary.test"] = test },
        CpuMilli: 500,
        MemoryBytes: 256L * 1024 * 1024,
        ShmBytes: 0,
        PublishedPorts: [],
        Mounts: [],
        GpuUuids: [],
        // As the agent does: the app secret Jupyter requires (the python image's start script refuses to start without).
        Files: [new ContainerFile(Granary.Agents.Launch.ImageApps.AppSecretPath, Guid.NewGuid().ToString("N"), 0b100_000_000, 0, 0)]);

    /// <summary>Creates, starts and waits for a container running a command; returns its exit code and output.
    /// The container is removed afterwards.</summary>
    public async Task<(int ExitCode, string Output, ContainerInfo Info)> RunToEnd(ContainerSpec spec)
    {
        var id = await Runtime.Create(spec, CancellationToken.None);
        try
        {
            await Runtime.Start(id, CancellationToken.None);
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            var exitCode = await Runtime.Wait(id, deadline.Token);
            var output = await Runtime.Logs(id, 1000, CancellationToken.None);
            var info = await Runtime.Inspect(id, CancellationToken.None)
                ?? throw new InvalidOperationException($"container {id} vanished before it was removed");
            return (exitCode, output, info);
        }
        finally
        {
            await Runtime.Remove(id, CancellationToken.None);
        }
    }

    /// <summary>Runs a command in a running container (no TTY) and returns its exit code and output.</summary>
    public async Task<(long ExitCode, string Output)> Exec(string containerId, string user, params string[] command)
    {
        var exec = await Docker.Exec.CreateContainerExecAsync(containerId, new Docker.DotNet.Models.ContainerExecCreateParameters
        {
            AttachStdout = true,
            AttachStderr = true,
            User = user,
            Cmd = command,
        });
        using (var stream = await Docker.Exec.StartContainerExecAsync(exec.ID, new Docker.DotNet.Models.ContainerExecStartParameters()))
        {
            var (stdout, stderr) = await stream.ReadOutputToEndAsync(CancellationToken.None);
            var inspect = await Docker.Exec.InspectContainerExecAsync(exec.ID);
            return (inspect.ExitCode ?? -1, stdout + stderr);
        }
    }

    /// <summary>The session networks (Docker networks with the session-network label) of a session.</summary>
    public async Task<IList<Docker.DotNet.Models.NetworkResponse>> SessionNetworks(string sessionId)
        => await Docker.Networks.ListNetworksAsync(new Docker.DotNet.Models.NetworksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool>
                {
                    [$"{Granary.Agents.ContainerLabels.Session}={sessionId}"] = true,
                    [Silo.Adapters.Docker.SessionNetworks.Label] = true,
                },
            },
        });

    /// <summary>A fresh host folder owned by the container user as this engine maps it, as an agent prepares a
    /// session folder.</summary>
    public string NewHostFolder() => NewHostFolder(SessionUserOnHost);

    /// <summary>A fresh host folder owned by <paramref name="owner"/> (host uid and gid).</summary>
    public static string NewHostFolder((int Uid, int Gid) owner)
    {
        var path = Path.Combine(Path.GetTempPath(), $"granary-it-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        Tool.Run("chown", [$"{owner.Uid}:{owner.Gid}", path]).EnsureSuccess();
        return path;
    }

    /// <summary>The Docker endpoint the tests use (see the class comment).</summary>
    public static string Endpoint()
    {
        var socket = Environment.GetEnvironmentVariable("GRANARY_DOCKER_SOCKET");
        if (!string.IsNullOrWhiteSpace(socket))
            return socket.Contains("://", StringComparison.Ordinal) ? socket : $"unix://{socket}";
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        return !string.IsNullOrWhiteSpace(host) ? host : DockerRuntimeOptions.DefaultEndpoint;
    }
}

[CollectionDefinition(Name)]
public sealed class DockerCollection : ICollectionFixture<DockerFixture>
{
    public const string Name = "docker";
}
