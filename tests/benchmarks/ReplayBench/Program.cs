// Runs the silo's replay verb directly (same arguments as `granary-silo replay ...`).
return await Granary.Silo.Replay.ReplayCommand.RunAsync(args);
