using Granary.Gateway.Auth;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Granary.Gateway.Hosting;

/// <summary>
/// Resolves the admin key and the configured users at start (bad configuration stops the process), then prints
/// where Granary listens and the admin key, unless the key came from configuration.
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

        var file = adminKey.FilePath(options.Value.DataDirectory);
        Console.WriteLine(adminKey.Source switch
        {
            "configuration" => "Admin API key: from configuration (Granary:Auth:AdminKey)",
            "generated" => $"Admin API key: {adminKey.Key} (generated, saved in {file})",
            _ => $"Admin API key: {adminKey.Key} (from {file})",
        });
    }
}
