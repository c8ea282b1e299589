using Granary.Agents;
using Granary.Agents.Launch;
using Granary.Agents.Runtime;
using Granary.Resources;
using Granary.Sessions;

namespace Granary.UnitTests.Launch;

/// <summary>The pure launch spec: what a session's container is created with, decided without a Docker daemon.</summary>
public sealed class LaunchSpecTests
{
    private const long GiB = 1024L * 1024 * 1024;
    private static readonly GpuDeviceInfo Gpu0 = new("GPU-aaaa", "V100", 16 * GiB, 0);
    private static readonly ImageApp Jupyter = new("jupyter", "http", 8888);
    private static readonly ImageApp Ssh = new("ssh", "tcp", 2200);
    private static readonly ImageApp Terminal = new("terminal", "exec", 0);

    private static LaunchInput Input(
        Dictionary<string, string>? env = null, string mode = "mps", GpuShare[]? gpus = null, SshKey? key = null,
        long memoryBytes = 4 * GiB, long shmBytes = 64L * 1024 * 1024, BindMount[]? mounts = null)
    {
        var spec = new SessionSpec("s", "alice", "granary/python:3.11", SessionType.Interactive,
            new ResourceRequest(2000, memoryBytes), "default", [], env ?? [], ["python", "-c", "pass"]);
        var placement = new Placement("sess-1", "node-a", 2000, memoryBytes, gpus ?? [], "alice");
        var capacity = new AgentCapacity(8000, 64 * GiB, [Gpu0], FgpuPerGpu: 5, EnforcementMode: mode);
        return new LaunchInput("sess-1", "node-a", spec, placement, key, capacity, [Jupyter, Ssh, Terminal], mounts ?? [], shmBytes);
    }

    [Fact]
    public void Session_env_cannot_lift_gpu_limits()
    {
        var env = new Dictionary<string, string>
        {
            ["CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"] = "100",
            ["CUDA_MPS_PINNED_DEVICE_MEM_LIMIT"] = "0=16384M",
            ["NVIDIA_VISIBLE_DEVICES"] = "all",
            ["MY_SETTING"] = "kept",
        };

        var spec = LaunchSpec.Build(Input(env, gpus: [new GpuShare(Gpu0.Uuid, 200)]));

        Assert.Equal("20", spec.Env["CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"]);
        Assert.Equal("0=3276M", spec.Env["CUDA_MPS_PINNED_DEVICE_MEM_LIMIT"]);
        Assert.Equal("GPU-aaaa", spec.Env["NVIDIA_VISIBLE_DEVICES"]);
        Assert.Equal("kept", spec.Env["MY_SETTING"]);
        Assert.Equal([Gpu0.Uuid], spec.GpuUuids);
    }

    [Fact]
    public void Session_env_cannot_lift_hami_limits()
    {
        var env = new Dictionary<string, string> { ["CUDA_DEVICE_SM_LIMIT"] = "100", ["CUDA_DEVICE_MEMORY_LIMIT_0"] = "16384m" };

        var spec = LaunchSpec.Build(Input(env, mode: "hami", gpus: [new GpuShare(Gpu0.Uuid, 200)]));

        Assert.Equal("20", spec.Env["CUDA_DEVICE_SM_LIMIT"]);
        Assert.Equal("3276m", spec.Env["CUDA_DEVICE_MEMORY_LIMIT_0"]);
    }

    [Fact]
    public void Session_env_cannot_impersonate_another_session_or_move_its_apps()
    {
        var env = new Dictionary<string, string>
        {
            ["GRANARY_SESSION_ID"] = "someone-else",
            ["GRANARY_JUPYTER_BASE_URL"] = "/v1/sessions/someone-else/apps/jupyter/",
        };

        var spec = LaunchSpec.Build(Input(env));

        Assert.Equal("sess-1", spec.Env["GRANARY_SESSION_ID"]);
        Assert.Equal("/v1/sessions/sess-1/apps/jupyter/", spec.Env["GRANARY_JUPYTER_BASE_URL"]);
    }

    [Fact]
    public void A_session_without_gpus_gets_no_devices_and_no_gpu_env()
    {
        var spec = LaunchSpec.Build(Input());

        Assert.Empty(spec.GpuUuids);
        Assert.DoesNotContain(spec.Env.Keys, k => k.StartsWith("CUDA_", StringComparison.Ordinal) || k.StartsWith("NVIDIA_", StringComparison.Ordinal));
    }

    [Fact]
    public void Limits_are_the_placements_and_shm_is_capped_at_the_sessions_memory()
    {
        var roomy = LaunchSpec.Build(Input(memoryBytes: 4 * GiB, shmBytes: 64L * 1024 * 1024));
        var tight = LaunchSpec.Build(Input(memoryBytes: 32L * 1024 * 1024, shmBytes: 64L * 1024 * 1024));

        Assert.Equal((2000, 4 * GiB, 64L * 1024 * 1024), (roomy.CpuMilli, roomy.MemoryBytes, roomy.ShmBytes));
        Assert.Equal(32L * 1024 * 1024, tight.ShmBytes);
    }

    [Fact]
    public void Name_labels_command_image_ports_and_mounts_come_from_the_session()
    {
        BindMount[] mounts = [new("/srv/folders/alice/data", "/home/work/data", true)];

        var spec = LaunchSpec.Build(Input(mounts: mounts));

        Assert.Equal("granary-sess-1", spec.Name);
        Assert.Equal("granary/python:3.11", spec.Image);
        Assert.Equal(["python", "-c", "pass"], spec.Command);
        Assert.Equal(new Dictionary<string, string>
        {
            [ContainerLabels.Session] = "sess-1",
            [ContainerLabels.Owner] = "alice",
            [ContainerLabels.Node] = "node-a",
        }, spec.Labels);
        Assert.Equal([8888, 2200], spec.PublishedPorts);
        Assert.Equal(mounts, spec.Mounts);
    }

    [Fact]
    public void The_ssh_key_files_are_private_to_the_session_user()
    {
        var spec = LaunchSpec.Build(Input(key: new SshKey("ssh-rsa AAAA granary", "-----BEGIN PRIVATE-----")));

        Assert.Equal(
        [
            new ContainerFile("/home/work/.ssh/authorized_keys", "ssh-rsa AAAA granary\n", 0b110_000_000, 1000, 1000),
            new ContainerFile("/home/work/id_container", "-----BEGIN PRIVATE-----", 0b110_000_000, 1000, 1000),
        ], spec.Files);
        Assert.Empty(LaunchSpec.Build(Input()).Files!);
    }
}

public sealed class ExitReportTests
{
    [Fact]
    public void A_batch_container_that_exits_terminates_its_session_with_the_exit_code()
    {
        Assert.Equal(new RuntimeReport(SessionStatus.Terminated, "container exited with code 3", 3, "c1"),
            ExitReport.For(SessionType.Batch, "c1", 3, oomKilled: false));
    }

    [Fact]
    public void An_interactive_container_that_exits_is_an_error_and_an_oom_kill_says_so()
    {
        Assert.Equal(new RuntimeReport(SessionStatus.Error, "container exited with code 0", 0, "c1"),
            ExitReport.For(SessionType.Interactive, "c1", 0, oomKilled: false));
        Assert.Equal(new RuntimeReport(SessionStatus.Error, "container killed for exceeding its memory limit (exit code 137)", 137, "c1"),
            ExitReport.For(SessionType.Interactive, "c1", 137, oomKilled: true));
    }
}
