using Granary.Silo.Adapters.Docker;
using Microsoft.Extensions.Configuration;

namespace Granary.Silo.Commands;

/// <summary>
/// The `firewall` verb: <c>granary-silo firewall install|remove</c>. Installs (or removes, when no session bridge is
/// left) the host firewall around session networks (<see cref="SessionFirewall"/>) with the settings of
/// Granary:Agent:Docker (DeniedNetworks, Outbound), in the network namespace this process runs in. For an agent
/// that cannot reach the host's namespace itself, as in a container on a Docker network (docker-compose.yml): a
/// one-shot container on the host's network with NET_ADMIN runs it before the agent starts. The rules match every
/// session bridge by its name prefix, so they need no update per session. Exit codes: 0 done, 1 iptables refused,
/// 2 bad usage.
/// </summary>
public static class FirewallCommand
{
    private const string Usage = """
        usage: granary-silo firewall install|remove
          install: the session firewall (iptables chains GRANARY-SESSION-HOST and GRANARY-SESSION-FWD, hooked on
                   every session bridge) in this process's network namespace, with Granary:Agent:Docker's
                   DeniedNetworks and Outbound.
          remove:  takes them out again when no session bridge is left.
        """;

    public static int Run(string[] args)
    {
        if (args is ["firewall", .. var rest])
        {
            args = rest;
        }
        if (args is not [var action, .. var settings] || action is not ("install" or "remove"))
        {
            Console.Error.WriteLine(Usage);
            return args.Any(a => a is "-h" or "--help") ? 0 : 2;
        }

        var options = VerbConfiguration.Build(settings).GetSection(DockerRuntimeOptions.SectionName).Get<DockerRuntimeOptions>() ?? new DockerRuntimeOptions();
        // This verb is how a node whose agent runs with Firewall=false gets the firewall: it installs regardless.
        options.Firewall = true;
        var firewall = new SessionFirewall(options);
        try
        {
            if (action == "install")
            {
                firewall.WithRules(() => Task.FromResult(0)).GetAwaiter().GetResult();
                Console.WriteLine($"firewall: installed {SessionFirewall.HostChain} and {SessionFirewall.ForwardChain} on {SessionFirewall.BridgePrefix}+ "
                    + $"(denied networks: {string.Join(", ", options.DeniedNetworks)}; outbound: {options.Outbound})");
            }
            else
            {
                Console.WriteLine(firewall.RemoveIfUnused()
                    ? "firewall: removed"
                    : "firewall: kept, session bridges are left on this host");
            }
            return 0;
        }
        catch (Exception error) when (error is ContainerRuntimeException or IOException)
        {
            Console.Error.WriteLine($"firewall: {error.Message}");
            return 1;
        }
    }
}
