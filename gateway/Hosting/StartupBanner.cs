using Granary.Gateway.Auth;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Granary.Gateway.Hosting;

/// <summary>
/// Resolves the admin key and the configured users at start (bad configuration stops the process), then prints
/// where Granary listens, and the admin key only once: when it was just generated. Afterwards it says where the key
/// is stored, never the key itself.
/// </summary>
public sealed class StartupBanner(
    AdminKeyStore adminKey,
    ApiKeyDirectory directory,
    IOptions<GatewayOptions> options,
    IServer server,
    IHostApplicationLifetime lifetime) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = adminKey.Key;
        _ = directory.ConfiguredUsersList.Count();
        lifetime.ApplicationStarted.Register(Print);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Print()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var address in addresses)
        {
            Console.WriteLine($"Granary ({options.Value.Mode}) is listening on {address}");
        }

        Console.WriteLine(AdminKeyLine(adminKey.Source, adminKey.Key, adminKey.FilePath(options.Value.DataDirectory)));
    }

    /// <summary>The key itself only when it was just generated (the one time it must be shown).</summary>
    public static string AdminKeyLine(string source, string key, string file) => source switch
    {
        "configuration" => "Admin API key: from configuration (Granary:Auth:AdminKey)",
        "generated" => $"Admin API key: {key} (generated now and shown only this once; saved in {file})",
        _ => $"Admin API key: stored in {file}",
    };
}
