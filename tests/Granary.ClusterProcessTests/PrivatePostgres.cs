using System.Diagnostics;

namespace Granary.ClusterProcessTests;

/// <summary>
/// A PostgreSQL of this test alone (its own data directory under /tmp and its own port), started and stopped with
/// deploy/scripts/postgres-{up,down}.sh: a test may stop it without touching the shared one on 55432.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"granary-pg-{Guid.NewGuid():N}"[..24]);
    private readonly int _port = ProcessCluster.FreePort();

    /// <summary>The server's connection string (database postgres), valid once started.</summary>
    public string ServerConnection => $"Host=127.0.0.1;Port={_port};Username=postgres;Database=postgres";

    public static async Task<PrivatePostgres> Start()
    {
        var postgres = new PrivatePostgres();
        await postgres.Up();
        return postgres;
    }

    public Task Up() => Script("postgres-up.sh", "--data", _root, "--port", _port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--database", "postgres");

    public Task Down() => Script("postgres-down.sh", "--data", _root);

    public async ValueTask DisposeAsync() => await Script("postgres-down.sh", "--data", _root, "--purge");

    private static async Task Script(string name, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(Repository.Root, "deploy", "scripts", name));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(patience.Token);
        Assert.True(process.ExitCode == 0, $"{name} {string.Join(' ', arguments)} failed:\n{await output}\n{await error}");
    }
}
