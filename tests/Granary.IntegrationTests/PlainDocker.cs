using Docker.DotNet;
using Granary.Silo.Adapters.Docker;

namespace Granary.IntegrationTests;

/// <summary>
/// A second private dockerd beside the tests' own, without user namespaces, as an MPS node runs its engine (an MPS
/// client shares the host's IPC namespace, which a remapped engine refuses). Started by docker-up.sh in its own
/// directory and stopped again at the end (its image cache stays). Beside another daemon it makes no default bridge
/// and leaves iptables alone. It gets the base image from the tests' daemon.
/// </summary>
public sealed class PlainDocker : IAsyncLifetime
{
    private const string Directory = "/var/lib/granary/docker-plain";
    private const string Flags = "--bridge=none --iptables=false";
    public const string Endpoint = "unix://" + Directory + "/docker.sock";

    public DockerContainerRuntime Runtime { get; }

    public DockerClient Docker { get; }

    public PlainDocker()
    {
        Runtime = new DockerContainerRuntime(new DockerRuntimeOptions { Endpoint = Endpoint });
        Docker = new DockerClientBuilder().WithEndpoint(Runtime.Endpoint).Build();
    }

    public async Task InitializeAsync()
    {
        Script("docker-up.sh").EnsureSuccess();
        Assert.Equal((0, 0), await Runtime.RootOnHost(CancellationToken.None));
        if (Tool.Run("docker", ["-H", Endpoint, "image", "inspect", DockerFixture.BaseImage]).ExitCode != 0)
        {
            Tool.Run("bash", ["-c", $"docker -H '{DockerFixture.Endpoint()}' save {DockerFixture.BaseImage} | docker -H '{Endpoint}' load"],
                TimeSpan.FromMinutes(5)).EnsureSuccess();
        }
    }

    public async Task DisposeAsync()
    {
        Docker.Dispose();
        Runtime.Dispose();
        Script("docker-down.sh").EnsureSuccess();
        await Task.CompletedTask;
    }

    private static Tool.Result Script(string name) => Tool.Run("env",
        [$"GRANARY_DOCKER_DIR={Directory}", $"GRANARY_DOCKERD_ARGS={Flags}", "bash", Path.Combine(Repository.Root, "deploy", "scripts", name)],
        TimeSpan.FromMinutes(3));
}
