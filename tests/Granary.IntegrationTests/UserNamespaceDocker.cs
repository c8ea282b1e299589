namespace Granary.IntegrationTests;

/// <summary>
/// A second private dockerd beside the tests' own, with user namespaces (--userns-remap=default: container uid N is
/// host uid 100000+N), started by docker-up.sh in its own directory and stopped again at the end (its image cache
/// stays). Beside another daemon it makes no default bridge and leaves iptables alone; its sessions' networks take
/// subnets from a pool of their own. It gets the base image from the tests' daemon.
/// </summary>
public sealed class UserNamespaceDocker : IAsyncLifetime
{
    public const string SessionSubnets = "10.214.0.0/16";
    private const string Directory = "/var/lib/granary/docker-userns";
    private const string Flags = "--userns-remap=default --bridge=none --iptables=false";
    public const string Endpoint = "unix://" + Directory + "/docker.sock";

    public async Task InitializeAsync()
    {
        Script("docker-up.sh").EnsureSuccess();
        if (Tool.Run("docker", ["-H", Endpoint, "image", "inspect", DockerFixture.BaseImage]).ExitCode != 0)
        {
            Tool.Run("bash", ["-c", $"docker -H '{DockerFixture.Endpoint()}' save {DockerFixture.BaseImage} | docker -H '{Endpoint}' load"],
                TimeSpan.FromMinutes(5)).EnsureSuccess();
        }
        await Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        Script("docker-down.sh").EnsureSuccess();
        await Task.CompletedTask;
    }

    private static Tool.Result Script(string name) => Tool.Run("env",
        [$"GRANARY_DOCKER_DIR={Directory}", $"GRANARY_DOCKERD_ARGS={Flags}", "bash", Path.Combine(Repository.Root, "deploy", "scripts", name)],
        TimeSpan.FromMinutes(3));
}
