using System.Text.Json;
using Granary.Cli;
using Granary.GatewayTests;

// The CLI targets Unix (0600 files, ssh).
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]

namespace Granary.CliTests;

/// <summary>Runs the granary CLI in-process against the test all-in-one, with its own config file and environment.</summary>
public sealed class Cli(GatewayFactory factory) : IDisposable
{
    public string Home { get; } = Directory.CreateTempSubdirectory("granary-cli-tests-").FullName;
    public Dictionary<string, string?> Environment { get; } = [];

    public string ConfigPath => Path.Combine(Home, "config", "granary.json");

    public Task<CliRun> Run(params string[] args) => RunWith(factory.Server.CreateHandler(), args);

    /// <summary>Runs with another HTTP handler than the test server's; null: the real network.</summary>
    public async Task<CliRun> RunWith(HttpMessageHandler? handler, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var environment = new Dictionary<string, string?>(Environment) { ["HOME"] = Home, ["GRANARY_CONFIG"] = ConfigPath };
        var context = new CliContext(output, error, name => environment.GetValueOrDefault(name), handler);
        var exitCode = await CliApp.Run(args, context);
        return new CliRun(exitCode, output.ToString(), error.ToString(), args);
    }

    /// <summary>Signs in with the key (the URL is the test server's; its handler ignores the host).</summary>
    public async Task Login(string key)
    {
        var run = await Run("login", "--url", "http://localhost", "--key", key);
        run.AssertExit(ExitCodes.Ok);
    }

    public void Dispose() => Directory.Delete(Home, recursive: true);
}

public sealed record CliRun(int ExitCode, string Out, string Error, string[] Args)
{
    public CliRun AssertExit(int expected)
    {
        Assert.True(ExitCode == expected, $"granary {string.Join(' ', Args)} exited {ExitCode}, expected {expected}\nout: {Out}\nerr: {Error}");
        return this;
    }

    public JsonElement Json()
    {
        AssertExit(ExitCodes.Ok);
        return JsonDocument.Parse(Out).RootElement.Clone();
    }
}
