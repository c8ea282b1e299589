using Granary.Agents.Launch;
using Granary.Silo.Adapters.Mps;
using Granary.Silo.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Granary.IntegrationTests;

/// <summary>The MPS control daemon supervision against a fake nvidia-cuda-mps-control (a script that daemonises a
/// sleep and answers get_server_list while it lives) and a fake nvidia-smi that records its arguments.</summary>
public sealed class MpsDaemonSupervisorTests : IDisposable
{
    private const string FakeControl = """
        #!/usr/bin/env bash
        pidfile="$CUDA_MPS_PIPE_DIRECTORY/daemon.pid"
        if [ "${1:-}" = "-d" ]; then
          echo "$CUDA_MPS_LOG_DIRECTORY" > "$CUDA_MPS_PIPE_DIRECTORY/log-directory"
          setsid sleep 600 </dev/null >/dev/null 2>&1 &
          echo $! > "$pidfile"
          exit 0
        fi
        read -r command
        pid=$(cat "$pidfile" 2>/dev/null) || exit 1
        kill -0 "$pid" 2>/dev/null || exit 1
        case "$command" in
          get_server_list) exit 0 ;;
          quit) kill "$pid"; exit 0 ;;
          *) exit 2 ;;
        esac
        """;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "granary-mps-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly GpuEnforcementOptions _options;

    public MpsDaemonSupervisorTests()
    {
        Directory.CreateDirectory(_directory);
        _options = new GpuEnforcementOptions
        {
            MpsPipeDirectory = Path.Combine(_directory, "pipe"),
            MpsLogDirectory = Path.Combine(_directory, "log"),
            MpsControl = Script("nvidia-cuda-mps-control", FakeControl),
            NvidiaSmi = Script("nvidia-smi", $"#!/usr/bin/env bash\necho \"$*\" >> {_directory}/nvidia-smi.calls\n"),
            MpsHealthInterval = TimeSpan.FromMilliseconds(200),
        };
        Directory.CreateDirectory(_options.MpsPipeDirectory);
    }

    [Fact]
    public async Task Start_sets_exclusive_process_starts_the_daemon_restarts_it_when_it_dies_and_stop_quits_it()
    {
        await using var supervisor = new MpsDaemonSupervisor(_options, NullLogger<MpsDaemonSupervisor>.Instance);

        await supervisor.Start(["GPU-a", "GPU-b"], CancellationToken.None);

        Assert.Equal(["-i GPU-a -c EXCLUSIVE_PROCESS", "-i GPU-b -c EXCLUSIVE_PROCESS"], File.ReadAllLines(Path.Combine(_directory, "nvidia-smi.calls")));
        Assert.Equal(_options.MpsLogDirectory, File.ReadAllText(Path.Combine(_options.MpsPipeDirectory, "log-directory")).Trim());
        Assert.Equal(1, supervisor.Starts);
        var first = DaemonPid();
        Assert.True(Alive(first));

        Tool.Run("kill", [first.ToString(System.Globalization.CultureInfo.InvariantCulture)]).EnsureSuccess();
        await Eventually.True(() => Task.FromResult(supervisor.Starts == 2 && Alive(DaemonPid())), "the supervisor started the daemon again");
        var second = DaemonPid();
        Assert.NotEqual(first, second);

        await supervisor.Stop(CancellationToken.None);
        await Eventually.True(() => Task.FromResult(!Alive(second)), "quit ended the daemon");
        Assert.Equal(2, supervisor.Starts);
    }

    [Fact]
    public async Task A_daemon_already_answering_is_left_as_it_is()
    {
        // Started by someone else, with the same pipe directory.
        Tool.Run("env", [$"CUDA_MPS_PIPE_DIRECTORY={_options.MpsPipeDirectory}", $"CUDA_MPS_LOG_DIRECTORY={_options.MpsLogDirectory}", _options.MpsControl, "-d"]).EnsureSuccess();
        var running = DaemonPid();
        await using var supervisor = new MpsDaemonSupervisor(_options, NullLogger<MpsDaemonSupervisor>.Instance);
        try
        {
            await supervisor.Start(["GPU-a"], CancellationToken.None);

            Assert.Equal(0, supervisor.Starts);
            Assert.Equal(running, DaemonPid());
        }
        finally
        {
            await supervisor.Stop(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_failing_compute_mode_change_stops_the_start_with_the_tools_output()
    {
        _options.NvidiaSmi = Script("nvidia-smi-fails", "#!/usr/bin/env bash\necho 'Insufficient Permissions' >&2\nexit 4\n");
        await using var supervisor = new MpsDaemonSupervisor(_options, NullLogger<MpsDaemonSupervisor>.Instance);

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => supervisor.Start(["GPU-a"], CancellationToken.None));

        Assert.Contains("-i GPU-a -c EXCLUSIVE_PROCESS exited with 4: Insufficient Permissions", failure.Message);
        Assert.Equal(0, supervisor.Starts);
    }

    [Fact]
    public void Hami_setup_writes_the_preload_file_and_refuses_a_missing_library_naming_the_setting()
    {
        var library = Path.Combine(_directory, "libvgpu.so");
        File.WriteAllText(library, "");
        var options = new GpuEnforcementOptions { HamiLibrary = library, HamiPreloadFile = Path.Combine(_directory, "hami", "ld.so.preload") };

        GpuEnforcementSetup.PrepareHami(options);

        Assert.Equal("/usr/local/vgpu/libvgpu.so\n", File.ReadAllText(options.HamiPreloadFile));
        var missing = Assert.Throws<InvalidOperationException>(() => GpuEnforcementSetup.PrepareHami(new GpuEnforcementOptions { HamiLibrary = library + ".gone" }));
        Assert.Contains("Granary:Agent:Enforcement:HamiLibrary names " + library + ".gone, which does not exist", missing.Message);
        var unset = Assert.Throws<InvalidOperationException>(() => GpuEnforcementSetup.PrepareHami(new GpuEnforcementOptions()));
        Assert.Contains("Granary:Agent:Enforcement:HamiLibrary is not set", unset.Message);
    }

    public void Dispose()
    {
        if (File.Exists(Path.Combine(_options.MpsPipeDirectory, "daemon.pid")) && Alive(DaemonPid()))
            Tool.Run("kill", [DaemonPid().ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Directory.Delete(_directory, recursive: true);
    }

    private int DaemonPid() => int.Parse(File.ReadAllText(Path.Combine(_options.MpsPipeDirectory, "daemon.pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    private static bool Alive(int pid) => Tool.Run("kill", ["-0", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]).ExitCode == 0;

    private string Script(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text.Replace("\r", "", StringComparison.Ordinal) + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
