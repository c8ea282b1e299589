using Granary.Cli;

// The config file and the ssh key file are created 0600 (Unix file modes): the CLI targets Linux and macOS.
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]

return await CliApp.Run(args, new CliContext(Console.Out, Console.Error, Environment.GetEnvironmentVariable));
