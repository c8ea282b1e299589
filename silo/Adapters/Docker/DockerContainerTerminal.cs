using System.Net;
using System.Runtime.InteropServices;
using Docker.DotNet;
using Docker.DotNet.Models;
using Granary.Agents.Runtime;

namespace Granary.Silo.Adapters.Docker;

/// <summary>
/// A process started with a TTY by a Docker exec (docker exec -it): raw bytes both ways over the exec's
/// hijacked connection (a TTY exec's output is not multiplexed).
///
/// Docker has no way to end an exec, and closing the connection does not hang the TTY up: the process would
/// stay (a tmux client stays attached forever). So the command is started through a small sh wrapper that
/// records its pid in a file, and closing the terminal sends that pid SIGHUP from a second exec, as a
/// closing terminal would.
/// </summary>
internal sealed class DockerContainerTerminal : IContainerTerminal
{
    private readonly DockerClient _docker;
    private readonly string _containerId;
    private readonly string _execId;
    private readonly string _user;
    private readonly string _pidFile;
    private readonly MultiplexedStream _stream;
    private int _disposed;

    private DockerContainerTerminal(DockerClient docker, string containerId, string execId, string user, string pidFile, MultiplexedStream stream)
    {
        _docker = docker;
        _containerId = containerId;
        _execId = execId;
        _user = user;
        _pidFile = pidFile;
        _stream = stream;
    }

    public static async Task<DockerContainerTerminal> Open(
        DockerClient docker, string containerId, IReadOnlyList<string> command, string user, string workingDirectory,
        int columns, int rows, CancellationToken cancellationToken)
    {
        if (command.Count == 0)
            throw new ArgumentException("A terminal needs a command.", nameof(command));
        var pidFile = $"/tmp/.granary-terminal-{Guid.NewGuid():N}.pid";
        var size = new ConsoleSize { Width = (ulong)columns, Height = (ulong)rows };
        var created = await docker.Exec.CreateContainerExecAsync(containerId, new ContainerExecCreateParameters
        {
            AttachStdin = true,
            AttachStdout = true,
            AttachStderr = true,
            TTY = true,
            ConsoleSize = size,
            User = user,
            WorkingDir = workingDirectory,
            Env = ["TERM=xterm-256color", "LANG=C.UTF-8"],
            // $0 is the pid file, "$@" the command: sh records its pid, then becomes the command (same pid).
            Cmd = ["sh", "-c", "echo $$ > \"$0\" && exec \"$@\"", pidFile, .. command],
        }, cancellationToken);
        var stream = await docker.Exec.StartContainerExecAsync(created.ID, new ContainerExecStartParameters { TTY = true, ConsoleSize = size }, cancellationToken);
        var terminal = new DockerContainerTerminal(docker, containerId, created.ID, user, pidFile, stream);
        try
        {
            // Engines before API 1.42 ignore the size given at create: set it now that the TTY exists.
            await terminal.SizeUnlessEnded(columns, rows, cancellationToken);
        }
        catch
        {
            await terminal.DisposeAsync();
            throw;
        }
        return terminal;
    }

    private async Task SizeUnlessEnded(int columns, int rows, CancellationToken cancellationToken)
    {
        try
        {
            await Resize(columns, rows, cancellationToken);
        }
        catch (DockerApiException)
        {
            // A command that ended at once has no TTY left to size (the engine answers "cannot resize a stopped
            // container"); its output is still readable, so the terminal opens and ends as the command did.
            if (!await EndsWithin(ExitReportPatience, cancellationToken)) throw;
        }
    }

    // The engine may report the exec running for a moment after its process has exited (CI met it once).
    private static readonly TimeSpan ExitReportPatience = TimeSpan.FromSeconds(1);

    private async Task<bool> EndsWithin(TimeSpan patience, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            if (!(await _docker.Exec.InspectContainerExecAsync(_execId, cancellationToken)).Running) return true;
            if (DateTime.UtcNow >= deadline) return false;
            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
        }
    }

    public async ValueTask<int> Read(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var rented = MemoryMarshal.TryGetArray<byte>(buffer, out var segment) ? null : new byte[buffer.Length];
        var (array, offset, count) = rented is null ? (segment.Array!, segment.Offset, segment.Count) : (rented, 0, rented.Length);
        MultiplexedStream.ReadResult result;
        try
        {
            result = await _stream.ReadOutputAsync(array, offset, count, cancellationToken);
        }
        catch (Exception e) when (Volatile.Read(ref _disposed) == 1 && e is ObjectDisposedException or IOException)
        {
            return 0; // closed while a read was waiting: the terminal has ended
        }
        if (result.EOF)
            return 0;
        rented?.AsSpan(0, result.Count).CopyTo(buffer.Span);
        return result.Count;
    }

    public async ValueTask Write(ReadOnlyMemory<byte> input, CancellationToken cancellationToken)
    {
        var array = MemoryMarshal.TryGetArray(input, out var segment) ? segment : new ArraySegment<byte>(input.ToArray());
        await _stream.WriteAsync(array.Array!, array.Offset, array.Count, cancellationToken);
    }

    public Task Resize(int columns, int rows, CancellationToken cancellationToken)
        => _docker.Exec.ResizeExecTtyAsync(_execId, new ContainerResizeParameters { Width = columns, Height = rows }, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        try
        {
            await HangUp();
        }
        finally
        {
            _stream.Dispose();
        }
    }

    /// <summary>SIGHUP to the terminal's process, unless it has ended already (or its container has).</summary>
    private async Task HangUp()
    {
        try
        {
            if (!(await _docker.Exec.InspectContainerExecAsync(_execId, CancellationToken.None)).Running)
                return;
            var hangUp = await _docker.Exec.CreateContainerExecAsync(_containerId, new ContainerExecCreateParameters
            {
                AttachStdout = true,
                AttachStderr = true,
                User = _user,
                // kill fails only when the process ended meanwhile, which is what hanging up wants.
                Cmd = ["sh", "-c", "if [ -f \"$0\" ]; then kill -HUP \"$(cat \"$0\")\" 2>/dev/null; rm -f \"$0\"; fi", _pidFile],
            }, CancellationToken.None);
            using var output = await _docker.Exec.StartContainerExecAsync(hangUp.ID, new ContainerExecStartParameters(), CancellationToken.None);
            var (stdout, stderr) = await output.ReadOutputToEndAsync(CancellationToken.None);
            var result = await _docker.Exec.InspectContainerExecAsync(hangUp.ID, CancellationToken.None);
            if (result.ExitCode is not 0)
                throw new ContainerRuntimeException(
                    $"Could not hang up terminal {_execId} in container {_containerId} (exit {result.ExitCode}): {stderr}{stdout}");
        }
        catch (DockerApiException e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
            // The container is gone or stopped (409: not running), and the terminal's process with it.
        }
    }
}
