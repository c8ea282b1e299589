using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Granary.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Granary.ClusterTests;

/// <summary>One manager silo with Granary:Tls set, and the certificates of its CA and of a foreign one.</summary>
public sealed class TlsSilo : IAsyncLifetime
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);
    private readonly string _clusterId = "tls-" + Guid.NewGuid().ToString("N")[..8];
    private IHost? _silo;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("granary-tls-").FullName;
    public int SiloPort { get; } = FreePort();
    public int GatewayPort { get; } = FreePort();

    public async Task InitializeAsync()
    {
        MakeCertificates(Path.Combine(Directory, "cluster"), "manager", "gateway");
        MakeCertificates(Path.Combine(Directory, "foreign"), "intruder");
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(Settings(Tls("cluster", "manager")));
        builder.Configuration["Granary:Roles"] = "manager";
        builder.Configuration["Granary:SiloPort"] = SiloPort.ToString(CultureInfo.InvariantCulture);
        builder.AddGranarySilo();
        _silo = builder.Build();
        await _silo.StartAsync().WaitAsync(Bound);
    }

    public async Task DisposeAsync()
    {
        if (_silo is not null)
        {
            await _silo.StopAsync(TimeSpan.FromSeconds(10));
            _silo.Dispose();
        }
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    public Dictionary<string, string?> Settings(Dictionary<string, string?> tls) => new(tls)
    {
        ["Granary:ClusterId"] = _clusterId,
        ["Granary:ServiceId"] = _clusterId,
        ["Granary:GatewayPort"] = GatewayPort.ToString(CultureInfo.InvariantCulture),
    };

    public Dictionary<string, string?> Tls(string authority, string name) => new()
    {
        ["Granary:Tls:CertificatePath"] = Path.Combine(Directory, authority, name + ".pem"),
        ["Granary:Tls:KeyPath"] = Path.Combine(Directory, authority, name + ".key"),
        ["Granary:Tls:CaPath"] = Path.Combine(Directory, authority, "ca.pem"),
    };

    private static void MakeCertificates(string dir, params string[] names)
    {
        var script = Path.Combine(Repository.Root, "deploy", "scripts", "cluster-certs.sh");
        using var process = Process.Start(new ProcessStartInfo("bash", [script, dir, .. names]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"cluster-certs.sh failed: {errors}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
