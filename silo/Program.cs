using Granary.Silo.Commands;

// granary-silo [verb] [--Granary:Key=value …]; the verb defaults to run.
var (verb, rest) = args is [var first, .. var others] && !first.StartsWith('-') ? (first, others) : ("run", args);

return verb switch
{
    "run" => await RunCommand.Run(rest),
    "migrate" => await Granary.Silo.Migrations.MigrateCommand.RunAsync(rest),
    "replay" => await Granary.Silo.Replay.ReplayCommand.RunAsync(rest),
    "gpu-check" => Granary.Silo.Adapters.Nvml.GpuCheckCommand.Run(rest),
    _ => UnknownVerb(verb),
};

static int UnknownVerb(string verb)
{
    Console.Error.WriteLine($"granary-silo: unknown verb '{verb}'. Verbs: run (default), migrate, replay, gpu-check.");
    return 2;
}
