using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;
using Granary.Agents;
using ContainerSpec = Granary.Agents.Runtime.ContainerSpec;

namespace Granary.Silo.Adapters.Docker;

/// <summary>
/// A Docker bridge network per session container, named after the container, so that sessions share no network:
/// Docker itself drops traffic between bridges, inter-container traffic is off on each, and the host firewall
/// (<see cref="SessionFirewall"/>, installed before each network is made) keeps sessions off the host's ports and off
/// each other's bridges. Subnets come from <see cref="DockerRuntimeOptions.SessionSubnets"/> (a /28 each by default,
/// so thousands fit; Docker's default pools hold only ~30 networks), starting at a random one and skipping those
/// another network holds. The network goes with its container.
/// </summary>
public sealed class SessionNetworks(DockerClient docker, DockerRuntimeOptions options, SessionFirewall firewall)
{
    /// <summary>The label that marks a network as a session's (only such networks are ever removed).</summary>
    public const string Label = "granary.session-network";

    private const int Attempts = 64;

    /// <summary>The Linux bridge of a session network: "grs-" and 11 hex digits of a hash of its name.</summary>
    public static string BridgeName(string networkName)
        => SessionFirewall.BridgePrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(networkName)))[..11];

    /// <summary>Makes the container's network (replacing an unused leftover of the same name) with the firewall in
    /// place; returns its name.</summary>
    public Task<string> Create(ContainerSpec spec, CancellationToken cancellationToken) => firewall.WithRules(async () =>
    {
        var name = spec.Name;
        await Remove(name, cancellationToken);
        var (network, prefixLength, count) = Pool();
        var first = RandomNumberGenerator.GetInt32(count);
        DockerApiException? last = null;
        for (var attempt = 0; attempt < Math.Min(Attempts, count); attempt++)
        {
            var subnet = Subnet(network, prefixLength, (first + attempt) % count);
            try
            {
                await docker.Networks.CreateNetworkAsync(new NetworksCreateParameters
                {
                    Name = name,
                    Driver = "bridge",
                    Labels = new Dictionary<string, string>(spec.Labels) { [Label] = "true" },
                    Options = new Dictionary<string, string>
                    {
                        ["com.docker.network.bridge.name"] = BridgeName(name),
                        ["com.docker.network.bridge.enable_icc"] = "false",
                    },
                    IPAM = new IPAM { Driver = "default", Config = [new IPAMConfig { Subnet = subnet }] },
                }, cancellationToken);
                return name;
            }
            catch (DockerApiException e) when (e.ResponseBody?.Contains("overlaps", StringComparison.OrdinalIgnoreCase) == true)
            {
                last = e; // another network holds this subnet: the next one
            }
        }
        throw new ContainerRuntimeException(
            $"No free subnet for the network of '{name}' after {Math.Min(Attempts, count)} tries in {options.SessionSubnets} " +
            $"(/{options.SessionSubnetPrefixLength} each; setting {DockerRuntimeOptions.SectionName}:SessionSubnets); the last refusal: {last?.Message}");
    });

    /// <summary>Removes the session network of this name, if there is one and no container is attached; true if it
    /// removed it.</summary>
    public async Task<bool> Remove(string name, CancellationToken cancellationToken)
    {
        NetworkResponse network;
        try
        {
            network = await docker.Networks.InspectNetworkAsync(name, cancellationToken);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
        if (network.Labels?.ContainsKey(Label) != true || network.Containers is { Count: > 0 })
            return false;
        try
        {
            await docker.Networks.DeleteNetworkAsync(network.ID, cancellationToken);
            return true;
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>Removes the session networks whose labels include the filter's, that no container uses and whose
    /// session is not in keep (a session being made has its network before its container); returns how many.</summary>
    public async Task<int> RemoveUnused(IReadOnlyDictionary<string, string> labelFilter, IReadOnlySet<string> keep, CancellationToken cancellationToken)
    {
        var labels = labelFilter.Select(pair => $"{pair.Key}={pair.Value}").Append(Label + "=true");
        var networks = await docker.Networks.ListNetworksAsync(new NetworksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = labels.ToDictionary(label => label, _ => true) },
        }, cancellationToken);
        var removed = 0;
        foreach (var network in networks.Where(n => !keep.Contains(SessionOf(n))))
        {
            if (await Remove(network.Name, cancellationToken))
                removed++;
        }
        return removed;
    }

    private static string SessionOf(NetworkResponse network)
        => network.Labels is not null && network.Labels.TryGetValue(ContainerLabels.Session, out var session) ? session : "";

    private (IPAddress Network, int PrefixLength, int Count) Pool()
    {
        var pool = IPNetwork.Parse(options.SessionSubnets);
        if (pool.BaseAddress.AddressFamily != AddressFamily.InterNetwork
            || options.SessionSubnetPrefixLength is < 16 or > 29 || options.SessionSubnetPrefixLength < pool.PrefixLength)
            throw new ContainerRuntimeException(
                $"{DockerRuntimeOptions.SectionName}:SessionSubnets '{options.SessionSubnets}' with /{options.SessionSubnetPrefixLength} " +
                "per session is not an IPv4 pool that fits (prefix 16..29, not shorter than the pool's).");
        var count = 1 << Math.Min(20, options.SessionSubnetPrefixLength - pool.PrefixLength);
        return (pool.BaseAddress, options.SessionSubnetPrefixLength, count);
    }

    private static string Subnet(IPAddress network, int prefixLength, int index)
    {
        var bytes = network.GetAddressBytes();
        var value = ((uint)bytes[0] << 24 | (uint)bytes[1] << 16 | (uint)bytes[2] << 8 | bytes[3]) + ((uint)index << (32 - prefixLength));
        return $"{new IPAddress([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value])}/{prefixLength}";
    }
}
