using System.Diagnostics;
using Granary.Agents.Launch;
using Microsoft.Extensions.Logging;

namespace Granary.Silo.Adapters.Mps;

/// <summary>
/// Runs the CUDA MPS control daemon for the node: sets each device's compute mode to exclusive-process
/// (<c>nvidia-smi -i UUID -c EXCLUSIVE_PROCESS</c>; then only MPS servers hold contexts there), starts
/// <c>nvidia-cuda-mps-control -d</c> with its own pipe and log directories, asks it <c>get_server_list</c> every
/// <see cref="GpuEnforcementOptions.MpsHealthInterval"/> and starts it again when it does not answer. Stop sends
/// <c>quit</c>.
/// </summary>
public sealed class MpsDaemonSupervisor(GpuEnforcementOptions options, ILogger<MpsDaemonSupervisor> logger) : IMpsDaemon, IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);
    private readonly CancellationTokenSource _stopping = new();
    private Task _watch = Task.CompletedTask;
    private int _starts;

    public int Starts => Volatile.Read(ref _starts);

    public async Task Start(IReadOnlyList<string> gpuUuids, CancellationToken cancellationToken)
    {
        foreach (var uuid in gpuUuids)
            (await Run(options.NvidiaSmi, ["-i", uuid, "-c", "EXCLUSIVE_PROCESS"], null, cancellationToken)).EnsureSuccess();
        if (!await Answers(cancellationToken))
            await StartDaemon(cancellationToken);
        _watch = Watch(_stopping.Token);
    }

    public async Task Stop(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _watch.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (await Answers(cancellationToken))
            (await Run(options.MpsControl, [], "quit\n", cancellationToken)).EnsureSuccess();
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _watch.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
    }

    private async Task Watch(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(options.MpsHealthInterval);
        while (await timer.WaitForNextTickAsync(stopping))
        {
            try
            {
                if (!await Answers(stopping))
                {
                    logger.LogWarning("The MPS control daemon does not answer; starting it again");
                    await StartDaemon(stopping);
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger.LogError(exception, "Checking or restarting the MPS control daemon failed; trying again in {Interval}", options.MpsHealthInterval);
            }
        }
    }

    private async Task StartDaemon(CancellationToken cancellationToken)
    {
        // The daemon outlives this call and keeps what it inherits: its output is not captured (nothing would end it).
        (await Run(options.MpsControl, ["-d"], null, cancellationToken, capture: false)).EnsureSuccess();
        Interlocked.Increment(ref _starts);
        logger.LogInformation("MPS control daemon started (pipes {Pipe}, logs {Log})", options.MpsPipeDirectory, options.MpsLogDirectory);
    }

    private async Task<bool> Answers(CancellationToken cancellationToken) =>
        (await Run(options.MpsControl, [], "get_server_list\n", cancellationToken)).ExitCode == 0;

    private async Task<Result> Run(string program, IReadOnlyList<string> arguments, string? input, CancellationToken cancellationToken, bool capture = true)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = capture,
            RedirectStandardError = capture,
            Environment =
            {
                ["CUDA_MPS_PIPE_DIRECTORY"] = options.MpsPipeDirectory,
                ["CUDA_MPS_LOG_DIRECTORY"] = options.MpsLogDirectory,
            },
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        await process.StandardInput.WriteAsync(input ?? "");
        process.StandardInput.Close();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CommandTimeout);
        var output = capture ? process.StandardOutput.ReadToEndAsync(timeout.Token) : Task.FromResult("");
        var error = capture ? process.StandardError.ReadToEndAsync(timeout.Token) : Task.FromResult("");
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return new Result($"{program} {string.Join(' ', arguments)}", process.ExitCode, await output + await error);
    }

    private sealed record Result(string Command, int ExitCode, string Output)
    {
        public void EnsureSuccess()
        {
            if (ExitCode != 0)
                throw new InvalidOperationException($"{Command} exited with {ExitCode}: {Output.Trim()}");
        }
    }
}
