namespace Granary.Silo.Hosting;

// TEMPORARY until the grains branch provides AddGranaryClient in silo/Hosting. Delete on merge.
public static class TemporaryClientShim
{
    public static IHostApplicationBuilder AddGranaryClient(this IHostApplicationBuilder builder) => throw new NotImplementedException();
}
