using Microsoft.Extensions.Hosting;

namespace Granary.Silo.Hosting;

/// <summary>Adds a Granary silo to a host, configured from the "Granary" configuration section.</summary>
public static class GranarySiloExtensions
{
    /// <summary>Roles (manager, agent or both), clustering, storage, agent nodes and the container runtime,
    /// all from configuration. Used by the silo executable and by the gateway's all-in-one mode.</summary>
    public static IHostApplicationBuilder AddGranarySilo(this IHostApplicationBuilder builder)
        => throw new NotImplementedException();
}
