using Microsoft.Extensions.Configuration;

namespace Granary.Silo.Commands;

/// <summary>What a one-shot verb (migrate, firewall) reads its settings from, in the order later wins:
/// the silo's appsettings.json, the environment (Granary__…), the verb's own --Key=value arguments.</summary>
public static class VerbConfiguration
{
    public static IConfiguration Build(string[] args) => new ConfigurationBuilder()
        .SetBasePath(AppContext.BaseDirectory)
        .AddJsonFile("appsettings.json", optional: true)
        .AddEnvironmentVariables()
        .AddCommandLine(args)
        .Build();
}
