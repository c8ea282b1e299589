using Granary.Silo.Commands;

namespace Granary.Silo;

/// <summary>granary-silo [verb] [--Granary:Key=value …]; the verb defaults to run. A class rather than top-level
/// statements: ASP.NET Core (which the dashboard brings in) makes a top-level Program public, and the gateway's
/// tests need theirs to be the only one.</summary>
internal static class SiloProgram
{
    public static async Task<int> Main(string[] args)
    {
        var (verb, rest) = args is [var first, .. var others] && !first.StartsWith('-') ? (first, others) : ("run", args);

        return verb switch
        {
            "run" => await RunCommand.Run(rest),
            "migrate" => await Granary.Silo.Migrations.MigrateCommand.RunAsync(rest),
            "replay" => await Granary.Silo.Replay.ReplayCommand.RunAsync(rest),
            "gpu-check" => Granary.Silo.Adapters.Nvml.GpuCheckCommand.Run(rest),
            "firewall" => FirewallCommand.Run(rest),
            _ => UnknownVerb(verb),
        };
    }

    private static int UnknownVerb(string verb)
    {
        Console.Error.WriteLine($"granary-silo: unknown verb '{verb}'. Verbs: run (default), migrate, replay, gpu-check, firewall.");
        return 2;
    }
}
