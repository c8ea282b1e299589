using System.CommandLine;
using Granary.Cli.Commands;

namespace Granary.Cli;

/// <summary>The granary command line: verbs, the --json option, and exit codes (see ExitCodes).</summary>
public static class CliApp
{
    public static readonly Option<bool> JsonOption = new("--json") { Description = "Print JSON for scripts instead of tables", Recursive = true };

    public static async Task<int> Run(string[] args, CliContext context)
    {
        var root = new RootCommand("granary: compute sessions on a Granary cluster")
        {
            JsonOption,
            LoginCommand.Create(context),
            SessionCommands.Create(context),
            FolderCommands.Create(context),
            AdminCommands.Images(context),
            AdminCommands.Agents(context),
            AdminCommands.Users(context),
            KeyCommands.Create(context),
            AdminCommands.Me(context),
        };
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await context.Error.WriteLineAsync($"granary: {error.Message}");
            }
            await context.Error.WriteLineAsync("Run granary --help for the verbs and their options.");
            return ExitCodes.Usage;
        }
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = context.Out, Error = context.Error, EnableDefaultExceptionHandler = false });
        }
        catch (CliException exception)
        {
            await context.Error.WriteLineAsync($"granary: {exception.Message}");
            return exception.ExitCode;
        }
    }

    /// <summary>A verb's action with the API signed in from the configuration.</summary>
    public static Func<ParseResult, CancellationToken, Task<int>> WithApi(CliContext context, Func<GranaryApi, ParseResult, bool, CancellationToken, Task<int>> action) =>
        async (parsed, cancellationToken) =>
        {
            using var api = new GranaryApi(CliConfig.Load(context.Environment), context.Handler);
            return await action(api, parsed, parsed.GetValue(JsonOption), cancellationToken);
        };
}
