using Spectre.Console;

namespace Granary.Cli;

/// <summary>Where a command writes and what it reads from outside: the process's console and environment, or a
/// test's writers, environment and HTTP handler.</summary>
public sealed class CliContext(TextWriter output, TextWriter error, Func<string, string?> environment, HttpMessageHandler? handler = null)
{
    public TextWriter Out { get; } = output;
    public TextWriter Error { get; } = error;
    public Func<string, string?> Environment { get; } = environment;
    public HttpMessageHandler? Handler { get; } = handler;

    /// <summary>Tables and progress, without colour or cursor moves when the output is not a terminal, and then
    /// without wrapping either: one table row is one line for grep and awk.</summary>
    public IAnsiConsole Console { get; } = CreateConsole(output);

    private static IAnsiConsole CreateConsole(TextWriter output)
    {
        var terminal = ReferenceEquals(output, System.Console.Out) && !System.Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        if (!terminal)
        {
            console.Profile.Width = 4096;
        }
        return console;
    }
}
