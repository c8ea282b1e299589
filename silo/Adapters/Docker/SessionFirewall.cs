using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Granary.Silo.Adapters.Docker;

/// <summary>
/// The host firewall around session networks (iptables, on the node that runs the Docker engine). Every session has
/// its own bridge, named with <see cref="BridgePrefix"/>, and these rules hold for all of them:
/// <list type="bullet">
/// <item>INPUT: a session opens no connection to the host itself, on any of its addresses: not the silo or gateway
/// ports, not PostgreSQL, not the Docker API, not another session's published port (replies to connections the host
/// opened, such as the app proxy's, pass).</item>
/// <item>FORWARD (from DOCKER-USER, which Docker evaluates first): no connection from a session to another session's
/// bridge, none to the denied networks (cloud metadata by default, the operator's control-plane networks), and with
/// <see cref="DockerRuntimeOptions.Outbound"/> "deny" none at all.</item>
/// </list>
/// Installed before a session network is made (idempotent: the chains are rebuilt, the jumps added once) and removed
/// when the driver stops and no session bridge is left on the host. Both happen under a host-wide lock, held across
/// a network's creation, so one agent's removal cannot slip between another's check and its new bridge.
/// </summary>
public sealed class SessionFirewall(DockerRuntimeOptions options)
{
    /// <summary>Session bridges are named "grs-" and 11 hex digits (at most 15 characters, the kernel's limit).</summary>
    public const string BridgePrefix = "grs-";

    public const string HostChain = "GRANARY-SESSION-HOST";
    public const string ForwardChain = "GRANARY-SESSION-FWD";

    private const string LockPath = "/run/granary-session-firewall.lock";
    private static readonly SemaphoreSlim InProcess = new(1, 1);

    private static string Bridges => BridgePrefix + "+";

    /// <summary>Runs <paramref name="action"/> with the rules installed and the host-wide lock held.</summary>
    public async Task<T> WithRules<T>(Func<Task<T>> action)
    {
        if (!options.Firewall)
            return await action();
        await InProcess.WaitAsync();
        try
        {
            using var hostLock = await Task.Run(HostLock);
            Install();
            return await action();
        }
        finally
        {
            InProcess.Release();
        }
    }

    /// <summary>Adds the chains and jumps (rebuilding the chains' rules, so a changed setting takes effect).</summary>
    public void Install()
    {
        Ensure("-N", HostChain);
        Run("-F", HostChain);
        Run("-A", HostChain, "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "RETURN");
        Run("-A", HostChain, "-j", "REJECT");

        Ensure("-N", ForwardChain);
        Run("-F", ForwardChain);
        Run("-A", ForwardChain, "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "RETURN");
        Run("-A", ForwardChain, "-o", Bridges, "-j", "REJECT");
        foreach (var network in options.DeniedNetworks)
            Run("-A", ForwardChain, "-d", network, "-j", "REJECT");
        if (options.Outbound == "deny")
            Run("-A", ForwardChain, "-j", "REJECT");

        Hook("INPUT", HostChain);
        Hook(HasChain("DOCKER-USER") ? "DOCKER-USER" : "FORWARD", ForwardChain);
    }

    /// <summary>Removes the jumps and chains when no session bridge is left on this host (another agent's sessions
    /// keep them). Returns whether they were removed.</summary>
    public bool RemoveIfUnused()
    {
        if (!options.Firewall)
            return false;
        InProcess.Wait();
        try
        {
            using var hostLock = HostLock();
            if (SessionBridges().Any())
                return false;
            Remove();
            return true;
        }
        finally
        {
            InProcess.Release();
        }
    }

    /// <summary>The session bridges that exist on this host.</summary>
    public static IEnumerable<string> SessionBridges()
        => Directory.Exists("/sys/class/net")
            ? Directory.GetDirectories("/sys/class/net").Select(Path.GetFileName).OfType<string>().Where(n => n.StartsWith(BridgePrefix, StringComparison.Ordinal))
            : [];

    private static void Remove()
    {
        foreach (var parent in new[] { "DOCKER-USER", "FORWARD" })
        {
            while (HasChain(parent) && Try("-C", parent, "-i", Bridges, "-j", ForwardChain))
                Run("-D", parent, "-i", Bridges, "-j", ForwardChain);
        }
        while (Try("-C", "INPUT", "-i", Bridges, "-j", HostChain))
            Run("-D", "INPUT", "-i", Bridges, "-j", HostChain);
        foreach (var chain in new[] { HostChain, ForwardChain })
        {
            if (HasChain(chain))
            {
                Run("-F", chain);
                Run("-X", chain);
            }
        }
    }

    private static void Hook(string parent, string chain)
    {
        if (!Try("-C", parent, "-i", Bridges, "-j", chain))
            Run("-I", parent, "1", "-i", Bridges, "-j", chain);
    }

    private static bool HasChain(string chain) => Try("-S", chain);

    private static void Ensure(string verb, string chain)
    {
        if (!HasChain(chain))
            Run(verb, chain);
    }

    private static void Run(params string[] arguments)
    {
        var (code, output) = Iptables(arguments);
        if (code != 0)
            throw new ContainerRuntimeException($"The session firewall could not apply 'iptables {string.Join(' ', arguments)}': {output.Trim()} " +
                $"(the agent needs root and iptables; {DockerRuntimeOptions.SectionName}:Firewall=false turns the firewall off).");
    }

    private static bool Try(params string[] arguments) => Iptables(arguments).ExitCode == 0;

    private static (int ExitCode, string Output) Iptables(string[] arguments)
    {
        var start = new ProcessStartInfo("iptables") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-w");
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new ContainerRuntimeException("iptables could not be started.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr);
    }

    /// <summary>An exclusive flock on a file every agent on this host uses; released when disposed. Opened with libc
    /// itself: .NET's own FileStream takes a non-blocking flock of its own that would fail under another's lock.</summary>
    private static HostFileLock HostLock()
    {
        var fd = open(LockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0b110_000_000);
        if (fd < 0)
            throw new IOException($"open {LockPath} failed (errno {Marshal.GetLastPInvokeError()}).");
        if (flock(fd, LOCK_EX) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            _ = close(fd); // the flock failure is the error to report
            throw new IOException($"flock {LockPath} failed (errno {errno}).");
        }
        return new HostFileLock(fd);
    }

    private sealed class HostFileLock(int fd) : IDisposable
    {
        public void Dispose() => _ = close(fd); // closing the only descriptor releases the lock; nothing to do if it fails
    }

    private const int O_RDWR = 2, O_CREAT = 0x40, O_CLOEXEC = 0x80000, LOCK_EX = 2;

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)]
    private static extern int open(string path, int flags, int mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int flock(int fd, int operation);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}
