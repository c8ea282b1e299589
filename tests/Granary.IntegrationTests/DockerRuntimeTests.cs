using Granary.Agents;
using Granary.Agents.Launch;
using Granary.Agents.Runtime;
using Granary.Silo.Adapters.Docker;

namespace Granary.IntegrationTests;

[Collection(DockerCollection.Name)]
public sealed class DockerRuntimeTests(DockerFixture fixture)
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly DockerContainerRuntime _runtime = fixture.Runtime;

    [Fact]
    public async Task Limits_security_and_labels_are_visible_in_inspect()
    {
        var spec = fixture.Spec("limits", DockerFixture.BaseImage) with
        {
            CpuMilli = 1500,
            MemoryBytes = 300L * 1024 * 1024,
            ShmBytes = 32L * 1024 * 1024,
            PublishedPorts = [8000],
        };
        var id = await _runtime.Create(spec, None);
        try
        {
            var inspect = await fixture.Docker.Containers.InspectContainerAsync(id, None);
            var host = inspect.HostConfig!;
            Assert.Equal(1_500_000_000, host.NanoCPUs);
            Assert.Equal(300L * 1024 * 1024, host.Memory);
            Assert.Equal(host.Memory, host.MemorySwap);
            Assert.Equal(32L * 1024 * 1024, host.ShmSize);
            Assert.False(host.Privileged);
            Assert.Equal(["no-new-privileges"], host.SecurityOpt);
            Assert.Equal(["ALL"], host.CapDrop);
            Assert.Equal(["SETUID", "SETGID", "KILL"], host.CapAdd);
            Assert.True(host.RestartPolicy.Name is Docker.DotNet.Models.RestartPolicyKind.No or Docker.DotNet.Models.RestartPolicyKind.Undefined);
            Assert.Null(host.DeviceRequests);
            var binding = Assert.Single(host.PortBindings["8000/tcp"]);
            Assert.Equal("127.0.0.1", binding.HostIP);
            Assert.Equal(fixture.RunId, inspect.Config!.Labels[DockerFixture.RunLabel]);
            Assert.Equal("limits", inspect.Config.Labels["granary.test"]);
            Assert.Equal(TimeSpan.FromSeconds(10), inspect.Config.StopTimeout);

            await _runtime.Start(id, None);
            var info = await _runtime.Inspect(id, None);
            Assert.NotNull(info);
            Assert.Equal(ContainerState.Running, info.State);
            Assert.Equal(spec.Name, info.Name);
            Assert.True(info.Ports[8000] > 0, "port 8000 is published on a host port");
            Assert.Equal("limits", info.Labels["granary.test"]);
        }
        finally
        {
            await _runtime.Remove(id, None);
        }
    }

    [Fact]
    public async Task Removals_of_one_container_at_the_same_moment_all_succeed()
    {
        // The session's exit watcher and a stop may remove its container together: Docker answers the later ones
        // 409 "removal already in progress", which is no error.
        var id = await _runtime.Create(fixture.Spec("removals", DockerFixture.BaseImage), None);
        await _runtime.Start(id, None);

        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => _runtime.Remove(id, None)));

        Assert.Null(await _runtime.Inspect(id, None));
    }

    [Fact]
    public async Task Limits_reach_the_cgroups_and_the_process_has_no_new_privileges()
    {
        var spec = fixture.Spec("cgroups", DockerFixture.BaseImage,
            ["sh", "-c",
             "cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us " +
             "/sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes " +
             "/sys/fs/cgroup/pids/pids.max; " +
             "grep -E '^(Uid|CapEff|CapBnd|NoNewPrivs)' /proc/self/status"]) with
        {
            CpuMilli = 250,
            MemoryBytes = 200L * 1024 * 1024,
        };

        var (exitCode, output, _) = await fixture.RunToEnd(spec);

        Assert.True(exitCode == 0, output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("25000", lines[0]); // 0.25 CPU: 25 ms of every 100 ms
        Assert.Equal("100000", lines[1]);
        Assert.Equal((200L * 1024 * 1024).ToString(), lines[2]);
        Assert.Equal((200L * 1024 * 1024).ToString(), lines[3]); // memory + swap == memory: no swap
        Assert.Equal("4096", lines[4]);
        Assert.Contains(lines, l => l.StartsWith("Uid:") && l.Split('\t')[1] == "1000"); // the command runs as work
        Assert.Contains("CapEff:\t0000000000000000", lines);
        Assert.Contains("CapBnd:\t00000000000000e0", lines); // KILL, SETGID, SETUID only
        Assert.Contains("NoNewPrivs:\t1", lines);
    }

    [Fact]
    public async Task A_process_over_its_memory_limit_is_killed()
    {
        var spec = fixture.Spec("oom", DockerFixture.PythonImage,
            ["python3", "-c", "b = bytearray(b'x') * (400 * 1024 * 1024); print('allocated', len(b))"]) with
        {
            MemoryBytes = 128L * 1024 * 1024,
        };

        var (exitCode, output, info) = await fixture.RunToEnd(spec);

        Assert.Equal(137, exitCode);
        Assert.DoesNotContain("allocated", output);
        Assert.Equal(ContainerState.Exited, info.State);
        Assert.Equal(137, info.ExitCode);
        Assert.True(info.OomKilled);
    }

    [Fact]
    public async Task A_batch_command_runs_as_work_and_its_exit_code_and_output_are_reported()
    {
        var spec = fixture.Spec("batch", DockerFixture.BaseImage,
            ["sh", "-c", "echo one; echo two >&2; echo three; whoami; pwd; exit 3"]);

        var (exitCode, output, info) = await fixture.RunToEnd(spec);

        Assert.Equal(3, exitCode);
        Assert.Equal(3, info.ExitCode);
        Assert.False(info.OomKilled);
        // stdout and stderr are both there; Docker keeps each stream's order, not the order between them.
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["one", "three", "work", "/home/work"], lines.Where(l => l != "two"));
        Assert.Single(lines, "two");
    }

    [Fact]
    public async Task Logs_tail_returns_the_last_lines()
    {
        var id = await _runtime.Create(fixture.Spec("tail", DockerFixture.BaseImage, ["sh", "-c", "for i in 1 2 3 4 5; do echo line$i; done"]), None);
        try
        {
            await _runtime.Start(id, None);
            Assert.Equal(0, await _runtime.Wait(id, None));
            Assert.Equal("line4\nline5\n", await _runtime.Logs(id, 2, None));
        }
        finally
        {
            await _runtime.Remove(id, None);
        }
    }

    [Fact]
    public async Task List_by_label_finds_the_container_in_every_state_and_remove_cleans_it()
    {
        var marker = Guid.NewGuid().ToString("N");
        var spec = fixture.Spec("list", DockerFixture.BaseImage) with
        {
            Labels = new Dictionary<string, string> { [DockerFixture.RunLabel] = fixture.RunId, ["granary.session"] = marker },
        };
        var filter = new Dictionary<string, string> { ["granary.session"] = marker };

        var id = await _runtime.Create(spec, None);
        var created = Assert.Single(await _runtime.List(filter, None));
        Assert.Equal(id, created.Id);
        Assert.Equal(ContainerState.Created, created.State);
        Assert.Null(created.ExitCode);
        Assert.Equal(marker, created.Labels["granary.session"]);

        await _runtime.Start(id, None);
        Assert.Equal(ContainerState.Running, Assert.Single(await _runtime.List(filter, None)).State);
        // A SIGTERM that comes before the start script has set its trap kills it (exit 143): wait until it waits.
        await Eventually.True(async () => (await fixture.Exec(id, "work", "pgrep", "-x", "sleep")).ExitCode == 0, "the start script waits");

        await _runtime.Stop(id, TimeSpan.FromSeconds(10), None);
        var stopped = Assert.Single(await _runtime.List(filter, None));
        Assert.Equal(ContainerState.Exited, stopped.State);
        Assert.Equal(0, stopped.ExitCode); // the start script ends cleanly on SIGTERM

        await _runtime.Remove(id, None);
        Assert.Empty(await _runtime.List(filter, None));
        Assert.Null(await _runtime.Inspect(id, None));

        // Both are no-ops for a container that is gone.
        await _runtime.Remove(id, None);
        await _runtime.Stop(id, TimeSpan.FromSeconds(1), None);
    }

    [Fact]
    public async Task Stop_kills_a_container_that_ignores_sigterm_after_the_grace()
    {
        // The command ignores SIGTERM (forwarded by tini), so only the SIGKILL after the grace ends it.
        var spec = fixture.Spec("stop", DockerFixture.BaseImage, ["sh", "-c", "trap '' TERM; echo ready; while true; do sleep 1; done"]);
        var id = await _runtime.Create(spec, None);
        try
        {
            await _runtime.Start(id, None);
            using (var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1)))
            {
                while (await _runtime.Logs(id, 10, None) != "ready\n")
                    await Task.Delay(100, deadline.Token); // until the trap is set
            }
            await _runtime.Stop(id, TimeSpan.FromSeconds(1), None);
            var info = await _runtime.Inspect(id, None);
            Assert.Equal(ContainerState.Exited, info!.State);
            Assert.Equal(137, info.ExitCode);
        }
        finally
        {
            await _runtime.Remove(id, None);
        }
    }

    [Fact]
    public async Task Files_are_placed_with_their_mode_and_owner_before_start()
    {
        var spec = fixture.Spec("files", DockerFixture.BaseImage,
            ["sh", "-c", "stat -c '%a %u %g %n' /home/work/.ssh/authorized_keys /home/work/id_container /opt/extra/deep/note.txt; cat /opt/extra/deep/note.txt"]) with
        {
            Files =
            [
                new ContainerFile("/home/work/.ssh/authorized_keys", "ssh-rsa AAAA test\n", 0b110_000_000, 1000, 1000),
                new ContainerFile("/home/work/id_container", "secret\n", 0b110_000_000, 1000, 1000),
                new ContainerFile("/opt/extra/deep/note.txt", "héllo\n", 0b110_100_100, 0, 0),
            ],
        };

        var (exitCode, output, _) = await fixture.RunToEnd(spec);

        Assert.True(exitCode == 0, output);
        Assert.Equal(
            "600 1000 1000 /home/work/.ssh/authorized_keys\n" +
            "600 1000 1000 /home/work/id_container\n" +
            "644 0 0 /opt/extra/deep/note.txt\n" +
            "héllo\n",
            output);
    }

    [Fact]
    public async Task A_mounted_folder_keeps_its_files_while_the_container_filesystem_does_not()
    {
        var folder = fixture.NewHostFolder();
        try
        {
            var mount = new BindMount(folder, "/home/work/data", ReadOnly: false);
            var first = fixture.Spec("mount-write", DockerFixture.BaseImage,
                ["sh", "-c", "echo kept > /home/work/data/kept.txt && echo lost > /home/work/scratch.txt"]) with
            { Mounts = [mount] };
            var (firstExit, firstOutput, _) = await fixture.RunToEnd(first); // removes the container

            Assert.True(firstExit == 0, firstOutput);
            Assert.Equal("kept\n", await File.ReadAllTextAsync(Path.Combine(folder, "kept.txt")));

            var second = fixture.Spec("mount-read", DockerFixture.BaseImage,
                ["sh", "-c", "cat /home/work/data/kept.txt; if [ -e /home/work/scratch.txt ]; then echo scratch-present; else echo scratch-gone; fi"]) with
            { Mounts = [mount] };
            var (secondExit, secondOutput, _) = await fixture.RunToEnd(second);

            Assert.Equal(0, secondExit);
            Assert.Equal("kept\nscratch-gone\n", secondOutput);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_read_only_mount_refuses_writes()
    {
        var folder = fixture.NewHostFolder();
        try
        {
            var spec = fixture.Spec("mount-ro", DockerFixture.BaseImage, ["sh", "-c", "echo x > /home/work/ro/x.txt"]) with
            {
                Mounts = [new BindMount(folder, "/home/work/ro", ReadOnly: true)],
            };

            var (exitCode, output, _) = await fixture.RunToEnd(spec);

            Assert.NotEqual(0, exitCode);
            Assert.Contains("Read-only file system", output);
            Assert.False(File.Exists(Path.Combine(folder, "x.txt")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_missing_image_is_reported_as_not_present()
    {
        const string missing = "granary/not-built:0";
        Assert.Null(await _runtime.FindImage(missing, None));

        var failure = await Assert.ThrowsAsync<ContainerRuntimeException>(
            () => _runtime.Create(fixture.Spec("missing", missing), None));

        Assert.Contains($"Image '{missing}' is not present on this node", failure.Message);
        Assert.Empty(await _runtime.List(new Dictionary<string, string> { ["granary.test"] = "missing" }, None));
    }

    [Fact]
    public async Task A_missing_bind_source_fails_create_with_the_engines_reason()
    {
        var spec = fixture.Spec("bad-mount", DockerFixture.BaseImage) with
        {
            Mounts = [new BindMount($"/nonexistent/granary-{Guid.NewGuid():N}", "/home/work/x", ReadOnly: false)],
        };

        var failure = await Assert.ThrowsAsync<ContainerRuntimeException>(() => _runtime.Create(spec, None));

        Assert.Contains("bind source path does not exist", failure.Message);
    }

    [Fact]
    public async Task Images_are_listed_with_the_labels_that_declare_their_apps()
    {
        var images = await _runtime.ListImages(None);

        var python = Assert.Single(images, i => i.Reference == DockerFixture.PythonImage);
        Assert.Equal("python", python.Labels[ImageLabels.Environment]);
        Assert.Equal("3.11", python.Labels[ImageLabels.Version]);
        Assert.Equal(
            [new ImageApp("terminal", "exec", 0), new ImageApp("jupyter", "http", 8888), new ImageApp("ssh", "tcp", 2200)],
            ImageApps.Parse(python.Labels));

        var found = await _runtime.FindImage(DockerFixture.BaseImage, None);
        Assert.NotNull(found);
        Assert.Equal("base", found.Labels[ImageLabels.Environment]);
        Assert.Equal([new ImageApp("terminal", "exec", 0)], ImageApps.Parse(found.Labels));
    }

    [Theory]
    [InlineData(DockerFixture.BaseImage)]
    [InlineData(DockerFixture.PythonImage)]
    public async Task Every_image_has_tmux_for_the_terminal(string image)
    {
        var (exitCode, output, _) = await fixture.RunToEnd(fixture.Spec("tmux", image, ["tmux", "-V"]));

        Assert.True(exitCode == 0, output);
        Assert.StartsWith("tmux ", output);
    }

    [Fact]
    public async Task Gpus_are_requested_by_uuid_from_the_nvidia_driver()
    {
        const string uuid = "GPU-00000000-1111-2222-3333-444444444444";
        // A capability list in the spec (which the gateway refuses anyway) never wins over the node's.
        var spec = fixture.Spec("gpu", DockerFixture.BaseImage, ["true"]) with
        {
            GpuUuids = [uuid],
            Env = new Dictionary<string, string> { ["NVIDIA_DRIVER_CAPABILITIES"] = "all" },
        };
        var id = await _runtime.Create(spec, None);
        try
        {
            var inspect = await fixture.Docker.Containers.InspectContainerAsync(id, None);
            var request = Assert.Single(inspect.HostConfig!.DeviceRequests);
            Assert.Equal("nvidia", request.Driver);
            Assert.Equal([uuid], request.DeviceIDs);
            Assert.Equal("gpu", Assert.Single(Assert.Single(request.Capabilities)));
            Assert.Contains("NVIDIA_DRIVER_CAPABILITIES=compute,utility", inspect.Config!.Env);
            Assert.DoesNotContain("NVIDIA_DRIVER_CAPABILITIES=all", inspect.Config.Env);

            // This machine's Docker has no NVIDIA runtime: starting must fail with the engine's reason, not hang.
            var failure = await Assert.ThrowsAsync<ContainerRuntimeException>(() => _runtime.Start(id, None));
            Assert.Contains("nvidia", failure.Message);
        }
        finally
        {
            await _runtime.Remove(id, None);
        }
    }

    [Fact]
    public async Task An_unreachable_engine_is_reported_clearly()
    {
        using var runtime = new DockerContainerRuntime(new DockerRuntimeOptions { Endpoint = "unix:///nonexistent/granary/docker.sock" });

        var failure = await Assert.ThrowsAsync<ContainerRuntimeException>(() => runtime.ListImages(None));

        Assert.Contains("Docker engine at unix:///nonexistent/granary/docker.sock is not reachable", failure.Message);
    }
}
