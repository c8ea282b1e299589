using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Granary.ClusterProcessTests;

/// <summary>
/// One Granary process (a silo or a gateway) started as `dotnet X.dll …`, its output appended to a log file. It can
/// be killed (SIGKILL), paused (SIGSTOP) and resumed (SIGCONT), and started again with the same arguments.
/// </summary>
public sealed partial class GranaryProcess(string name, string dll, IReadOnlyList<string> arguments, string logFile) : IDisposable
{
    private const int SigKill = 9;
    private const int SigCont = 18;
    private const int SigStop = 19;
    private static readonly List<GranaryProcess> Started = [];
    private Process? _process;

    static GranaryProcess()
    {
        // No process outlives the test run, however it ends.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            lock (Started)
            {
                foreach (var process in Started)
                {
                    process.Dispose();
                }
            }
        };
    }

    /// <summary>The loopback address the process serves on (a silo's AdvertisedIp, a gateway's host).</summary>
    public string? Address { get; init; }

    /// <summary>A cgroup (v2, relative to its root) the process runs in from its first instruction, so every socket
    /// it opens belongs to it (what <see cref="NetworkPartition"/> matches on).</summary>
    public string? Cgroup { get; init; }

    public string Name => name;
    public string LogFile => logFile;
    public bool Running => _process is { HasExited: false };

    public void Start()
    {
        var start = new ProcessStartInfo(Cgroup is null ? "dotnet" : "bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        if (Cgroup is not null)
        {
            // The shell joins the cgroup, then becomes dotnet (same pid): no socket is opened outside it.
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add("echo $$ > \"$0\" && exec dotnet \"$@\"");
            start.ArgumentList.Add(Path.Combine(NetworkPartition.CgroupRoot, Cgroup, "cgroup.procs"));
        }
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["DOTNET_gcServer"] = "0"; // many processes on 2 cores: one small heap each
        var log = new StreamWriter(logFile, append: true) { AutoFlush = true };
        log.WriteLine($"==== {DateTime.UtcNow:O} start {name}: dotnet {dll} {string.Join(' ', arguments)}");
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var gate = new Lock();
        void Write(string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (gate)
            {
                log.WriteLine(line);
            }
        }
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.Exited += (_, _) => Write($"==== {DateTime.UtcNow:O} {name} exited");
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        lock (Started)
        {
            Started.Add(this);
        }
    }

    public void Kill() => Signal(SigKill);

    public void Pause() => Signal(SigStop);

    public void Resume() => Signal(SigCont);

    public async Task<int> WaitForExit(TimeSpan patience)
    {
        using var timeout = new CancellationTokenSource(patience);
        await _process!.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public string Log() => File.Exists(logFile) ? ReadShared(logFile) : "";

    public void Dispose()
    {
        if (Running)
        {
            Signal(SigCont);
            _process!.Kill();
            _process.WaitForExit(5000);
        }
    }

    private void Signal(int signal)
    {
        if (_process is null || _process.HasExited)
        {
            throw new InvalidOperationException($"{name} is not running.");
        }
        if (Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
        if (signal == SigKill)
        {
            _process.WaitForExit(10_000);
        }
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
