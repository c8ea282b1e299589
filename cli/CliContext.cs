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

    /// <summary>Tables and progress, without colour or cursor moves when the output is not a terminal.</summary>
    public IAnsiConsole Console { get; } = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(output),
        Ansi = ReferenceEquals(output, System.Console.Out) && !System.Console.IsOutputRedirected ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = ReferenceEquals(output, System.Console.Out) && !System.Console.IsOutputRedirected ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        Interactive = InteractionSupport.No,
    });
}
