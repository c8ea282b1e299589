using System.Text;
using Granary.Agents.Runtime;

namespace Granary.IntegrationTests;

/// <summary>Collects what a terminal prints, in the background, until it ends; tests wait for text to appear.</summary>
public sealed class TerminalOutput
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly StringBuilder _text = new();
    private readonly Lock _gate = new();

    private TerminalOutput(Func<CancellationToken, IAsyncEnumerable<byte[]>> chunks) => Ended = Collect(chunks);

    /// <summary>Completes when the terminal's output ends.</summary>
    public Task Ended { get; }

    public string Text
    {
        get
        {
            lock (_gate)
                return _text.ToString();
        }
    }

    public static TerminalOutput Of(IContainerTerminal terminal) => new(ct => Chunks(terminal, ct));

    public static TerminalOutput Of(IAsyncEnumerable<byte[]> chunks) => new(_ => chunks);

    /// <summary>Waits until the output contains text (after the given position), returns the position after it.</summary>
    public async Task<int> WaitFor(string text, int after = 0)
    {
        var until = DateTime.UtcNow + Deadline;
        while (true)
        {
            var current = Text;
            var at = current.IndexOf(text, Math.Min(after, current.Length), StringComparison.Ordinal);
            if (at >= 0)
                return at + text.Length;
            if (Ended.IsCompleted)
                throw new InvalidOperationException($"The terminal ended without printing '{text}'. It printed:\n{Printable(current)}");
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"The terminal did not print '{text}' within {Deadline}. It printed:\n{Printable(current)}");
            await Task.Delay(50);
        }
    }

    /// <summary>Sends input every second until the output contains text: for what reaches the shell on its own time,
    /// such as a new size (the TTY, then the tmux client, then its server, then the shell).</summary>
    public async Task RepeatUntil(Func<Task> send, string text)
    {
        var until = DateTime.UtcNow + Deadline;
        while (true)
        {
            await send();
            var retry = DateTime.UtcNow + TimeSpan.FromSeconds(1);
            while (DateTime.UtcNow < retry)
            {
                if (Text.Contains(text, StringComparison.Ordinal))
                    return;
                await Task.Delay(50);
            }
            if (Ended.IsCompleted || DateTime.UtcNow > until)
                throw new TimeoutException($"The terminal did not print '{text}'. It printed:\n{Printable(Text)}");
        }
    }

    /// <summary>Waits until tmux has drawn its status line for the session "main": its client has set the terminal
    /// up by then. Input sent before that is discarded when tmux flushes the terminal, as a terminal does.</summary>
    public Task WaitForTmux() => WaitFor("[main]");

    public async Task WaitForEnd()
    {
        await Ended.WaitAsync(Deadline);
    }

    private static string Printable(string text) => text.Replace("\u001b", "\\e");

    private async Task Collect(Func<CancellationToken, IAsyncEnumerable<byte[]>> chunks)
    {
        await Task.Yield();
        var decoder = Encoding.UTF8.GetDecoder();
        await foreach (var chunk in chunks(CancellationToken.None))
        {
            var chars = new char[decoder.GetCharCount(chunk, flush: false)];
            decoder.GetChars(chunk, chars, flush: false);
            lock (_gate)
                _text.Append(chars);
        }
    }

    private static async IAsyncEnumerable<byte[]> Chunks(IContainerTerminal terminal, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var buffer = new byte[8192];
        while (true)
        {
            var read = await terminal.Read(buffer, cancellationToken);
            if (read == 0)
                yield break;
            yield return buffer[..read];
        }
    }
}
