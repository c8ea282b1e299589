using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Granary.TestHelpers;

/// <summary>
/// A Granary executable (the gateway or a silo, as built in the repository) run as a child process with the
/// settings given as environment variables. Every line it writes to stdout and stderr is kept (and appended to a
/// log file when one is named), so a test can search all of a process's output, not only what an in-process
/// logger provider sees.
/// </summary>
public sealed class GranaryProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly StreamWriter? _log;
    private readonly Lock _logGate = new();

    private GranaryProcess(Process process, string? logFile)
    {
        _process = process;
        _log = logFile is null ? null : new StreamWriter(logFile, append: true) { AutoFlush = true };
    }

    /// <summary>Everything the process wrote so far, one entry a line (stdout and stderr interleaved).</summary>
    public IReadOnlyCollection<string> Output => _lines;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The gateway executable, built in the configuration the caller was built in.</summary>
    public static string GatewayDll => Built("gateway", "granary-gateway.dll");

    /// <summary>The silo executable, built in the configuration the caller was built in.</summary>
    public static string SiloDll => Built("silo", "granary-silo.dll");

    /// <summary>Starts <c>dotnet dll args</c> with the environment variables added (null removes one).</summary>
    public static GranaryProcess Start(string dll, IEnumerable<string> args, IReadOnlyDictionary<string, string?> environment, string? logFile = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Repository.Root,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info };
        var started = new GranaryProcess(process, logFile);
        process.OutputDataReceived += (_, e) => started.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => started.Keep(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"dotnet {dll} did not start.");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    /// <summary>Waits until GET url answers 2xx; fails with the process's last lines if it exits first.</summary>
    public async Task WaitUntilAnswering(Uri url, TimeSpan deadline)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var until = DateTime.UtcNow + deadline;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The process exited ({_process.ExitCode}) before {url} answered:\n{Tail(40)}");
            }
            try
            {
                using var response = await http.GetAsync(url);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"{url} did not answer within {deadline}:\n{Tail(40)}");
            }
            await Task.Delay(500);
        }
    }

    /// <summary>Asks the process to stop (SIGTERM, as an operator's service manager would) and waits for it;
    /// kills it if it has not stopped within the deadline.</summary>
    public async Task Stop(TimeSpan deadline)
    {
        if (_process.HasExited)
        {
            return;
        }
        using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString()]))
        {
            await term.WaitForExitAsync();
        }
        using var timeout = new CancellationTokenSource(deadline);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        // The asynchronous readers deliver the last lines after the exit; WaitForExit() without a timeout waits for them.
        _process.WaitForExit();
    }

    /// <summary>Waits for a process that ends by itself (a command such as migrate); returns its exit code.</summary>
    public async Task<int> WaitForExit(TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        await _process.WaitForExitAsync(timeout.Token);
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Kills the process at once (SIGKILL: as if its machine lost power) and waits for it.</summary>
    public async Task Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync();
        _process.WaitForExit();
    }

    /// <summary>The process's resident memory in bytes (VmRSS), or null once it has exited.</summary>
    public long? ResidentBytes()
    {
        try
        {
            var status = File.ReadAllLines($"/proc/{_process.Id}/status");
            var line = status.FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return null;
        }
    }

    public string Tail(int lines) => string.Join('\n', _lines.TakeLast(lines));

    /// <summary>A TCP port no listener holds right now (for a process that cannot be told to use port 0).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await Stop(TimeSpan.FromSeconds(30));
        _process.Dispose();
        _log?.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        _lines.Enqueue(line);
        if (_log is not null)
        {
            lock (_logGate)
            {
                _log.WriteLine(line);
            }
        }
    }

    private static string Built(string project, string dll)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
            ? "Debug" : "Release";
        var path = Path.Combine(Repository.Root, project, "bin", configuration, "net10.0", dll);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{path} is not built: dotnet build {project} -c {configuration}.", path);
    }
}
