using System.CommandLine;

namespace Granary.Cli.Commands;

/// <summary>granary login --url URL --key KEY: checks the key with GET /v1/me, then stores both (mode 0600).</summary>
public static class LoginCommand
{
    public static Command Create(CliContext context)
    {
        var url = new Option<string>("--url") { Description = "The gateway, e.g. http://127.0.0.1:8080", Required = true };
        var key = new Option<string?>("--key") { Description = "Your API key (default: $GRANARY_KEY)" };
        var command = new Command("login", "Store the server's URL and your API key in your user configuration") { url, key };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            var apiKey = parsed.GetValue(key) ?? context.Environment("GRANARY_KEY")
                ?? throw new CliException(ExitCodes.Usage, "Give the key with --key or GRANARY_KEY.");
            var config = new CliConfig(parsed.GetRequiredValue(url), apiKey);
            using var api = new GranaryApi(config, context.Handler);
            var me = await api.Get("v1/me", cancellationToken);
            config.Save(context.Environment);
            await context.Out.WriteLineAsync($"Signed in to {config.Url} as {me.Text("name")} ({me.Text("role")}); saved in {CliConfig.PathFrom(context.Environment)}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
