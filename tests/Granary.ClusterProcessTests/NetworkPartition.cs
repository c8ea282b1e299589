using System.Diagnostics;

namespace Granary.ClusterProcessTests;

/// <summary>
/// Cuts one simulated host off the network with iptables, both ways: packets to its 127.0.0.x are dropped (INPUT),
/// and so is everything its processes send (OUTPUT, matched by their cgroup: on loopback their outgoing
/// connections leave from 127.0.0.1, not from their own address). Only rules naming this partition's address and
/// cgroup are ever added or removed; Dispose removes them and the cgroup whatever happened.
/// </summary>
public sealed class NetworkPartition : IDisposable
{
    /// <summary>The cgroup v2 hierarchy: beside v1 controllers (systemd's hybrid layout) or the only one.</summary>
    public static readonly string CgroupRoot = Directory.Exists("/sys/fs/cgroup/unified") ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";

    private string? _address;

    /// <summary>The cgroup to start the host's processes in (<see cref="GranaryProcess.Cgroup"/>).</summary>
    public string Cgroup { get; } = $"granary-partition-{Guid.NewGuid():N}"[..30];

    public NetworkPartition() => Directory.CreateDirectory(Path.Combine(CgroupRoot, Cgroup));

    private static string[][] Rules(string address, string cgroup) =>
    [
        ["INPUT", "-d", address, "-j", "DROP"],
        ["OUTPUT", "-m", "cgroup", "--path", cgroup, "-j", "DROP"],
    ];

    /// <summary>Cuts off the host whose process runs in this partition's cgroup, at its address.</summary>
    public void Cut(GranaryProcess host)
    {
        Assert.Equal(Cgroup, host.Cgroup);
        Assert.StartsWith("127.0.0.", host.Address);
        Assert.Null(_address);
        _address = host.Address;
        foreach (var rule in Rules(_address!, Cgroup))
        {
            Assert.Null(IpTables(["-I", .. rule]));
        }
    }

    public void Heal()
    {
        if (_address is null)
        {
            return;
        }
        var failures = new List<string>();
        foreach (var rule in Rules(_address, Cgroup))
        {
            if (IpTables(["-D", .. rule]) is { } failure)
            {
                failures.Add(failure);
            }
        }
        _address = null;
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    public void Dispose()
    {
        Heal();
        // The cgroup can go once its processes have (the caller disposes them first); a leftover empty one is harmless.
        try
        {
            Directory.Delete(Path.Combine(CgroupRoot, Cgroup));
        }
        catch (IOException exception)
        {
            Console.WriteLine($"cgroup {Cgroup} left behind: {exception.Message}");
        }
    }

    /// <summary>Runs iptables; null when it succeeded, else what it said.</summary>
    private static string? IpTables(string[] arguments)
    {
        var start = new ProcessStartInfo("iptables") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add("-w");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? null : $"iptables {string.Join(' ', arguments)}: {error}";
    }
}
