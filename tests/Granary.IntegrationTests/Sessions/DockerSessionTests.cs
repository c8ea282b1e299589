using System.Diagnostics;
using System.Text;
using Granary.Agents;
using Granary.Folders;
using Granary.Sessions;
using Xunit.Abstractions;

namespace Granary.IntegrationTests.Sessions;

/// <summary>Sessions end to end through the grains (session, scheduler, agent) with the real Docker driver and the
/// images of deploy/images/build.sh.</summary>
[Collection(DockerCollection.Name)]
public sealed class DockerSessionTests(DockerFixture docker, SessionClusterFixture fixture, ITestOutputHelper output)
    : IClassFixture<SessionClusterFixture>
{
    private GranaryCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task A_python_session_runs_with_its_limits_and_labels_and_delete_removes_its_container()
    {
        var clock = Stopwatch.StartNew();
        var session = await Session.Create(Cluster.Client, Session.Spec(cpuMilli: 1500, memoryBytes: 768 * Session.MiB));
        var running = await Session.WaitFor(session, SessionStatus.Running, SessionStatus.Error);
        output.WriteLine($"create → RUNNING: {clock.Elapsed.TotalSeconds:F1} s");
        var events = await session.GetEvents(0);
        foreach (var (previous, next) in events.Zip(events.Skip(1)))
            output.WriteLine($"  {previous.Status} → {next.Status}: {(next.At - previous.At).TotalSeconds:F2} s");

        Assert.True(running.Status == SessionStatus.Running, running.StatusReason);
        var inspect = await docker.Docker.Containers.InspectContainerAsync(running.ContainerId!);
        Assert.Equal(1_500_000_000, inspect.HostConfig!.NanoCPUs);
        Assert.Equal(768 * Session.MiB, inspect.HostConfig.Memory);
        Assert.Equal(inspect.HostConfig.Memory, inspect.HostConfig.MemorySwap); // no swap
        Assert.Equal(running.Id, inspect.Config!.Labels[ContainerLabels.Session]);
        Assert.Equal(Session.Owner, inspect.Config.Labels[ContainerLabels.Owner]);
        Assert.Equal(Cluster.NodeId, inspect.Config.Labels[ContainerLabels.Node]);
        Assert.Contains($"GRANARY_SESSION_ID={running.Id}", inspect.Config.Env);
        Assert.Contains($"GRANARY_JUPYTER_BASE_URL=/v1/sessions/{running.Id}/apps/jupyter/", inspect.Config.Env);
        var published = inspect.NetworkSettings!.Ports;
        Assert.Equal(
            [
                new AppEndpoint("jupyter", "http", "127.0.0.1", int.Parse(published["8888/tcp"][0].HostPort)),
                new AppEndpoint("ssh", "tcp", "127.0.0.1", int.Parse(published["2200/tcp"][0].HostPort)),
            ],
            running.Apps.Select(a => a with { State = AppState.Starting }));
        // The agent probes each app until it answers: Jupyter over HTTP, sshd by its banner.
        var ready = await Session.WaitUntil(session, v => v.Apps.All(a => a.State == AppState.Ready));
        Assert.All(ready.Apps, a => Assert.Equal(AppState.Ready, a.State));
        Assert.Equal([running.Id], (await Cluster.Agent.GetSnapshot()).Allocations.Select(a => a.SessionId));

        clock.Restart();
        var ended = await Session.Delete(session);
        output.WriteLine($"delete → TERMINATED: {clock.Elapsed.TotalSeconds:F1} s");

        Assert.Equal(SessionStatus.Terminated, ended.Status);
        Assert.Null(await docker.Runtime.Inspect(running.ContainerId!, CancellationToken.None));
        await AssertNothingLeftOf(running.Id);
    }

    [Fact]
    public async Task A_process_over_the_memory_limit_inside_a_running_session_is_killed_and_the_session_runs_on()
    {
        var session = await Session.Create(Cluster.Client, Session.Spec(DockerFixture.BaseImage, memoryBytes: 128 * Session.MiB));
        var running = await Session.WaitFor(session, SessionStatus.Running, SessionStatus.Error);
        Assert.True(running.Status == SessionStatus.Running, running.StatusReason);

        var (exitCode, printed) = await docker.Exec(running.ContainerId!, "work",
            "sh", "-c", "head -c 400m /dev/zero | tail > /dev/null; echo survived $?");

        Assert.Equal(0, exitCode);
        // tail held 400 MiB in 128: the kernel killed it (SIGKILL: 128 + 9), and sh said so on stderr.
        Assert.Equal("survived 137\nKilled\n", printed);
        Assert.Equal(SessionStatus.Running, (await session.Get())!.Status);
        Assert.Equal(SessionStatus.Terminated, (await Session.Delete(session)).Status);
        await AssertNothingLeftOf(running.Id);
    }

    [Theory]
    [InlineData(SessionType.Interactive, SessionStatus.Error)]
    [InlineData(SessionType.Batch, SessionStatus.Terminated)]
    public async Task A_session_whose_command_exceeds_its_memory_ends_reporting_the_kill(SessionType type, SessionStatus expected)
    {
        var session = await Session.Create(Cluster.Client, Session.Spec(type: type, memoryBytes: 128 * Session.MiB,
            command: ["python3", "-c", "b = bytearray(400 * 1024 * 1024); print('allocated')"]));

        var ended = await Session.WaitFor(session, SessionStatus.Terminated, SessionStatus.Error);

        Assert.Equal(expected, ended.Status);
        Assert.Equal(137, ended.ExitCode);
        Assert.Equal("container killed for exceeding its memory limit (exit code 137)", ended.StatusReason);
        await AssertNothingLeftOf(ended.Id);
    }

    [Fact]
    public async Task A_batch_session_ends_terminated_with_its_commands_exit_code_and_frees_its_allocation()
    {
        var session = await Session.Create(Cluster.Client, Session.Spec(DockerFixture.BaseImage, SessionType.Batch,
            command: ["sh", "-c", "echo working; exit 3"]));

        var ended = await Session.WaitFor(session, SessionStatus.Terminated, SessionStatus.Error);

        Assert.Equal(SessionStatus.Terminated, ended.Status);
        Assert.Equal(3, ended.ExitCode);
        Assert.Equal("container exited with code 3", ended.StatusReason);
        Assert.NotNull(ended.StartedAt);
        await AssertNothingLeftOf(ended.Id);
    }

    [Fact]
    public async Task A_session_with_an_image_the_node_does_not_have_ends_in_error_saying_so()
    {
        const string absent = "granary/absent:0";
        var session = await Session.Create(Cluster.Client, Session.Spec(absent));

        var ended = await Session.WaitFor(session, SessionStatus.Error, SessionStatus.Running, SessionStatus.Terminated);

        Assert.Equal(SessionStatus.Error, ended.Status);
        Assert.Equal($"image {absent} not present on node {Cluster.NodeId}", ended.StatusReason);
        var events = await session.GetEvents(0);
        Assert.Contains(events, e => e.Status == SessionStatus.Pulling);
        await AssertNothingLeftOf(ended.Id);
    }

    [Fact]
    public async Task Files_in_the_container_are_gone_after_delete_while_the_mounted_folders_files_survive_into_a_new_session()
    {
        var folder = $"data-{Guid.NewGuid().ToString("N")[..6]}";
        await Cluster.Client.GetGrain<IFolderGrain>(FolderKey.Of(Session.Owner, folder)).Create();
        MountSpec[] mounts = [new(folder, $"/home/work/{folder}", ReadOnly: false)];

        var first = await Session.Create(Cluster.Client, Session.Spec(DockerFixture.BaseImage, mounts: mounts));
        var firstView = await Session.WaitFor(first, SessionStatus.Running, SessionStatus.Error);
        Assert.True(firstView.Status == SessionStatus.Running, firstView.StatusReason);
        var written = await docker.Exec(firstView.ContainerId!, "work",
            "sh", "-c", $"echo kept > /home/work/{folder}/kept.txt && echo lost > /home/work/scratch.txt");
        Assert.Equal((0L, ""), written);
        Assert.Equal(SessionStatus.Terminated, (await Session.Delete(first)).Status);

        var onHost = Path.Combine(Cluster.FolderRoot, Session.Owner, folder, "kept.txt");
        Assert.Equal("kept\n", await File.ReadAllTextAsync(onHost));

        var second = await Session.Create(Cluster.Client, Session.Spec(DockerFixture.BaseImage, mounts: mounts));
        var secondView = await Session.WaitFor(second, SessionStatus.Running, SessionStatus.Error);
        Assert.True(secondView.Status == SessionStatus.Running, secondView.StatusReason);
        var read = await docker.Exec(secondView.ContainerId!, "work",
            "sh", "-c", $"cat /home/work/{folder}/kept.txt; if [ -e /home/work/scratch.txt ]; then echo scratch-present; else echo scratch-gone; fi");

        Assert.Equal((0L, "kept\nscratch-gone\n"), read);
        Assert.Equal(SessionStatus.Terminated, (await Session.Delete(second)).Status);
        await AssertNothingLeftOf(firstView.Id);
        await AssertNothingLeftOf(secondView.Id);
    }

    [Fact]
    public async Task The_sessions_ssh_key_logs_in_with_ssh_and_sftp_transfers_a_file()
    {
        var session = await Session.Create(Cluster.Client, Session.Spec());
        var running = await Session.WaitFor(session, SessionStatus.Running, SessionStatus.Error);
        Assert.True(running.Status == SessionStatus.Running, running.StatusReason);
        var ssh = await session.GetSsh();
        Assert.NotNull(ssh);
        Assert.Equal(("127.0.0.1", "work"), (ssh.Host, ssh.User));

        var scratch = Directory.CreateTempSubdirectory("granary-it-ssh-").FullName;
        try
        {
            var key = Path.Combine(scratch, "id_container");
            await File.WriteAllTextAsync(key, ssh.PrivateKey);
            File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            string[] options =
            [
                "-i", key, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=5",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
            ];

            // sshd starts in the background of the container: retry until it answers.
            var hi = await Eventually.Value(
                () => Task.FromResult(Tool.Run("ssh", [.. options, "-p", ssh.Port.ToString(), $"{ssh.User}@{ssh.Host}", "echo hi"])),
                result => result.ExitCode == 0, "ssh logs in with the session key");
            Assert.Equal("hi\n", hi.Output);

            var upload = Path.Combine(scratch, "upload.txt");
            var download = Path.Combine(scratch, "download.txt");
            var content = $"granary {Guid.NewGuid()}\n";
            await File.WriteAllTextAsync(upload, content);
            var batch = Path.Combine(scratch, "sftp-batch");
            await File.WriteAllTextAsync(batch, $"put {upload} /home/work/uploaded.txt\nget /home/work/uploaded.txt {download}\n");
            Tool.Run("sftp", [.. options, "-P", ssh.Port.ToString(), "-b", batch, $"{ssh.User}@{ssh.Host}"]).EnsureSuccess();

            Assert.Equal(content, await File.ReadAllTextAsync(download));
            Assert.Equal((0L, content), await docker.Exec(running.ContainerId!, "work", "cat", "/home/work/uploaded.txt"));
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
        Assert.Equal(SessionStatus.Terminated, (await Session.Delete(session)).Status);
        Assert.Null(await session.GetSsh());
        await AssertNothingLeftOf(running.Id);
    }

    [Fact]
    public async Task A_terminal_through_the_agent_reaches_the_sessions_tmux_and_a_reconnect_finds_the_same_shell()
    {
        var session = await Session.Create(Cluster.Client, Session.Spec(DockerFixture.BaseImage));
        var running = await Session.WaitFor(session, SessionStatus.Running, SessionStatus.Error);
        Assert.True(running.Status == SessionStatus.Running, running.StatusReason);
        var agent = Cluster.Agent;

        var first = await agent.OpenTerminal(running.Id, 100, 30);
        var firstOutput = TerminalOutput.Of(agent.ReadTerminal(first));
        await firstOutput.WaitForTmux();
        await agent.WriteTerminal(first, Encoding.UTF8.GetBytes("answer=$((6*7)); echo \"got $answer\"\r"));
        await firstOutput.WaitFor("got 42");
        await agent.CloseTerminal(first);
        await firstOutput.WaitForEnd();

        var second = await agent.OpenTerminal(running.Id, 120, 40);
        var secondOutput = TerminalOutput.Of(agent.ReadTerminal(second));
        await secondOutput.WaitForTmux();
        await agent.ResizeTerminal(second, 132, 43);
        await agent.WriteTerminal(second, Encoding.UTF8.GetBytes("echo \"again $answer\"\r"));

        await secondOutput.WaitFor("again 42");
        // The resize reaches the shell (tmux keeps a row for its status line).
        await secondOutput.RepeatUntil(() => agent.WriteTerminal(second, Encoding.UTF8.GetBytes("stty size\r")), "42 132");

        Assert.Equal(SessionStatus.Terminated, (await Session.Delete(session)).Status);
        await secondOutput.WaitForEnd(); // deleting the session ends its terminals
        await AssertNothingLeftOf(running.Id);
    }

    /// <summary>No container labelled for the session, and no allocation for it on the node.</summary>
    private async Task AssertNothingLeftOf(string sessionId)
    {
        Assert.Empty(await docker.Runtime.List(new Dictionary<string, string> { [ContainerLabels.Session] = sessionId }, CancellationToken.None));
        Assert.Empty(await docker.SessionNetworks(sessionId)); // the session's own network went with it
        Assert.DoesNotContain(sessionId, (await Cluster.Agent.GetSnapshot()).Allocations.Select(a => a.SessionId));
    }
}
