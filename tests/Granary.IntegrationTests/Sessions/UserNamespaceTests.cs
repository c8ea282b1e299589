using Granary.Folders;
using Granary.Sessions;

namespace Granary.IntegrationTests.Sessions;

/// <summary>
/// Sessions on an engine with user namespaces: root in the container is an unprivileged uid on the host, and the
/// session user still owns and writes its folders (the agent gives them to the session user as the engine maps it).
/// The tests' own daemon remaps users, as deploy/scripts/docker-up.sh starts it by default.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class UserNamespaceTests(DockerFixture docker) : IAsyncLifetime
{
    private GranaryCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        Assert.True(docker.RemapsUsers, "the tests' daemon should run with --userns-remap=default (deploy/scripts/docker-up.sh)");
        _cluster = await GranaryCluster.Start("userns", GranaryCluster.DockerAgent(DockerFixture.Endpoint()));
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task Root_in_the_session_is_not_root_on_the_host_and_the_session_user_writes_its_folder()
    {
        var folder = $"data-{Guid.NewGuid().ToString("N")[..6]}";
        await _cluster.Client.GetGrain<IFolderGrain>(FolderKey.Of(Session.Owner, folder)).Create();
        MountSpec[] mounts = [new(folder, $"/home/work/{folder}", ReadOnly: false)];
        var session = await Session.Create(_cluster.Client, Session.Spec(DockerFixture.BaseImage, mounts: mounts));
        var running = await Session.WaitFor(session, SessionStatus.Running, SessionStatus.Error);
        Assert.True(running.Status == SessionStatus.Running, running.StatusReason);

        var pid = Tool.Run("docker", ["-H", DockerFixture.Endpoint(), "inspect", "-f", "{{.State.Pid}}", running.ContainerId!]).EnsureSuccess().Output.Trim();
        var map = (await File.ReadAllTextAsync($"/proc/{pid}/uid_map")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["0", "100000"], map[..2]); // uid 0 inside is uid 100000 outside

        var written = Tool.Run("docker", ["-H", DockerFixture.Endpoint(), "exec", "-u", "work", running.ContainerId!,
            "sh", "-c", $"echo kept > /home/work/{folder}/kept.txt && id -u"]).EnsureSuccess();
        Assert.Equal("1000", written.Output.Trim());
        var onHost = Path.Combine(_cluster.FolderRoot, Session.Owner, folder, "kept.txt");
        Assert.Equal("kept\n", await File.ReadAllTextAsync(onHost));
        Assert.Equal("101000:101000", Tool.Run("stat", ["-c", "%u:%g", onHost]).EnsureSuccess().Output.Trim());

        Assert.Equal(SessionStatus.Terminated, (await Session.Delete(session)).Status);
        Assert.Equal("", Tool.Run("docker", ["-H", DockerFixture.Endpoint(), "ps", "-aq", "--filter", $"label=granary.session={running.Id}"]).Output.Trim());
    }
}
