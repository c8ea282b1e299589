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
        return new LaunchInput("sess-1", "node-a", spec, placement, key, capacity, [Jupyter, Ssh, Terminal], mounts ?? [], shmBytes, Enforcement: Enforcement);
    }

    private static readonly GpuEnforcementOptions Enforcement = new() { MpsPipeDirectory = "/run/mps", HamiLibrary = "/opt/hami/libvgpu.so", HamiPreloadFile = "/run/hami/preload" };

    [Fact]
    public void An_mps_session_gets_the_pipe_directory_after_its_folders_and_the_host_ipc_namespace()
    {
        var folder = new BindMount("/data/alice/work", "/home/work/work", false);

        // A session's own CUDA_MPS_PIPE_DIRECTORY is refused before this (see the reserved-name tests below).
        var spec = LaunchSpec.Build(Input(mode: "mps", gpus: [new GpuShare(Gpu0.Uuid, 500)], mounts: [folder]));

        Assert.Equal([folder, new BindMount("/run/mps", "/tmp/nvidia-mps", false)], spec.Mounts);
        Assert.Equal("host", spec.IpcMode);
        Assert.Equal("/tmp/nvidia-mps", spec.Env["CUDA_MPS_PIPE_DIRECTORY"]);
    }

    [Fact]
    public void A_hami_session_mounts_the_library_and_its_preload_read_only_and_a_gpu_less_one_nothing()
    {
        var hami = LaunchSpec.Build(Input(mode: "hami", gpus: [new GpuShare(Gpu0.Uuid, 200)]));
        var none = LaunchSpec.Build(Input(mode: "hami"));

        Assert.Equal(
            [new BindMount("/opt/hami/libvgpu.so", "/usr/local/vgpu/libvgpu.so", true), new BindMount("/run/hami/preload", "/etc/ld.so.preload", true)],
            hami.Mounts);
        Assert.Null(hami.IpcMode);
        Assert.Empty(none.Mounts);
        Assert.Null(none.IpcMode);
        Assert.DoesNotContain(none.Env.Keys, k => k.StartsWith("CUDA_", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE")]
    [InlineData("CUDA_DEVICE_SM_LIMIT")]
    [InlineData("NVIDIA_VISIBLE_DEVICES")]
    [InlineData("NVIDIA_DRIVER_CAPABILITIES")]
    [InlineData("GRANARY_SESSION_ID")]
    [InlineData("GRANARY_JUPYTER_BASE_URL")]
    [InlineData("BASH_ENV")]
    [InlineData("LD_PRELOAD")]
    [InlineData("PATH")]
    public void A_reserved_env_name_is_refused_where_the_launch_spec_is_built(string name)
    {
        // The gateway refuses these at create; a spec that reaches a node anyway is refused again here.
        var env = new Dictionary<string, string> { [name] = "x", ["MY_SETTING"] = "kept" };

        var refused = Assert.Throws<ArgumentException>(() => LaunchSpec.Build(Input(env, gpus: [new GpuShare(Gpu0.Uuid, 200)])));

        Assert.Contains(name, refused.Message);
        Assert.Equal("kept", LaunchSpec.Build(Input(new Dictionary<string, string> { ["MY_SETTING"] = "kept" })).Env["MY_SETTING"]);
    }

    [Theory]
    [InlineData("/opt/granary")]
    [InlineData("/usr/sbin")]
    [InlineData("/home/work/.ssh")]
    [InlineData("/home/work")]
    public void A_mount_outside_the_home_or_over_ssh_is_refused_where_the_launch_spec_is_built(string path)
    {
        var refused = Assert.Throws<ArgumentException>(() => LaunchSpec.Build(MountingDataAt(path)));

        Assert.Contains(path, refused.Message);
    }

    [Theory]
    [InlineData("/tmp/nvidia-mps", "/tmp/nvidia-mps")]
    [InlineData("/tmp/nvidia-mps/", "/tmp/nvidia-mps")]
    [InlineData("/tmp//nvidia-mps/x", "/tmp/nvidia-mps")]
    [InlineData("/tmp", "/tmp/nvidia-mps")]
    [InlineData("/etc/ld.so.preload", "/etc/ld.so.preload")]
    [InlineData("/etc/./ld.so.preload", "/etc/ld.so.preload")]
    [InlineData("/usr/local/vgpu/libvgpu.so", "/usr/local/vgpu")]
    [InlineData("/usr/local/vgpu", "/usr/local/vgpu")]
    [InlineData("/usr/local", "/usr/local/vgpu")]
    public void A_mount_at_over_or_below_a_gpu_enforcement_path_is_refused_naming_it(string path, string reserved)
    {
        Assert.Equal(
            $"{reserved} is where the agent mounts GPU enforcement (the MPS pipe directory, ld.so.preload, the HAMi-core library): folders cannot be mounted at, over or below it.",
            SessionLaunchRules.WhyMountPathRefused(path));
        var refused = Assert.Throws<ArgumentException>(() => LaunchSpec.Build(MountingDataAt(path)));

        Assert.Contains($"{reserved} is where the agent mounts GPU enforcement", refused.Message);
        Assert.Null(SessionLaunchRules.WhyMountPathRefused("/home/work/tmp/nvidia-mps"));
    }

    private static LaunchInput MountingDataAt(string path) => Input() with
    {
        Spec = Input().Spec with { Mounts = [new MountSpec("data", path, false)] },
        Mounts = [new BindMount("/srv/folders/alice/data", path, false)],
    };

    [Fact]
    public void A_session_without_gpus_sees_the_void_device_list_and_no_cuda_env()
    {
        var spec = LaunchSpec.Build(Input());

        Assert.Empty(spec.GpuUuids);
        Assert.Equal("void", spec.Env["NVIDIA_VISIBLE_DEVICES"]);
        Assert.DoesNotContain(spec.Env.Keys, k => k.StartsWith("CUDA_", StringComparison.Ordinal) || k == "NVIDIA_DRIVER_CAPABILITIES");
    }

    [Fact]
    public void The_app_secret_is_a_root_only_file_and_never_in_the_environment()
    {
        var spec = LaunchSpec.Build(Input() with { AppSecret = "s3cret" });

        var file = Assert.Single(spec.Files!, f => f.Path == ImageApps.AppSecretPath);
        Assert.Equal(("s3cret", 0b100_000_000, 0, 0), (file.Content, file.Mode, file.Uid, file.Gid));
        Assert.DoesNotContain(spec.Env.Values, v => v.Contains("s3cret", StringComparison.Ordinal));
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
