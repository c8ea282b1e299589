using Docker.DotNet.Models;
using Granary.Agents;
using Granary.Agents.Launch;
using Granary.Agents.Runtime;
using Granary.Silo.Adapters.Docker;
using ContainerSpec = Granary.Agents.Runtime.ContainerSpec;

namespace Granary.UnitTests.Launch;

/// <summary>Every setting a session's Docker container is created with, checked without a daemon (the Docker
/// integration tests check that the daemon applies them).</summary>
public sealed class DockerContainerParametersTests
{
    private const long MiB = 1024L * 1024;
    private static readonly DockerRuntimeOptions Options = new();
    private static readonly IReadOnlyList<string> Allowed = DockerContainerParameters.AllowedCapabilities(Options);

    private static ContainerSpec Spec(IReadOnlyList<string>? gpus = null, long shmBytes = 32 * MiB) => new(
        Name: "granary-s1", Image: "granary/python:3.11", Command: ["sleep", "1"],
        Env: new Dictionary<string, string> { ["A"] = "1" },
        Labels: new Dictionary<string, string> { [ContainerLabels.Session] = "s1" },
        CpuMilli: 1500, MemoryBytes: 300 * MiB, ShmBytes: shmBytes, PublishedPorts: [8888],
        Mounts: [new BindMount("/srv/alice/data", "/home/work/data", ReadOnly: true)], GpuUuids: gpus ?? []);

    private static RuntimeImage Image(string? capabilities = null) => new("granary/python:3.11",
        capabilities is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [ImageLabels.Capabilities] = capabilities });

    [Fact]
    public void Runs_unprivileged_with_no_new_privileges_and_only_the_declared_capabilities()
    {
        var host = DockerContainerParameters.For(Spec(), Image("setuid, cap_setgid,KILL"), Options, Allowed).HostConfig!;

        Assert.False(host.Privileged);
        Assert.Equal(["no-new-privileges"], host.SecurityOpt);
        Assert.Equal(["ALL"], host.CapDrop);
        Assert.Equal(["SETUID", "SETGID", "KILL"], host.CapAdd);
    }

    [Fact]
    public void An_image_without_the_label_gets_no_capability()
    {
        Assert.Empty(DockerContainerParameters.For(Spec(), Image(), Options, Allowed).HostConfig!.CapAdd!);
    }

    [Fact]
    public void An_image_asking_for_a_capability_the_node_does_not_allow_is_refused()
    {
        var refused = Assert.Throws<ContainerRuntimeException>(() =>
            DockerContainerParameters.For(Spec(), Image("SETUID,SYS_ADMIN,NET_RAW"), Options, Allowed));

        Assert.Contains("SYS_ADMIN, NET_RAW", refused.Message);
    }

    [Fact]
    public void Limits_are_hard_cpu_memory_without_swap_shm_and_pids()
    {
        var host = DockerContainerParameters.For(Spec(), Image(), Options, Allowed).HostConfig!;

        Assert.Equal(1_500_000_000, host.NanoCPUs);
        Assert.Equal(300 * MiB, host.Memory);
        Assert.Equal(host.Memory, host.MemorySwap);
        Assert.Equal(32 * MiB, host.ShmSize);
        Assert.Equal(4096, host.PidsLimit);
        Assert.Equal(64 * MiB, DockerContainerParameters.For(Spec(shmBytes: 0), Image(), Options, Allowed).HostConfig!.ShmSize);
    }

    [Fact]
    public void Ports_are_published_on_ephemeral_ports_of_the_publish_host_and_nothing_restarts()
    {
        var parameters = DockerContainerParameters.For(Spec(), Image(), Options, Allowed);

        var binding = Assert.Single(parameters.HostConfig!.PortBindings!["8888/tcp"]);
        Assert.Equal(("127.0.0.1", ""), (binding.HostIP, binding.HostPort));
        Assert.Equal(RestartPolicyKind.No, parameters.HostConfig!.RestartPolicy!.Name);
        var mount = Assert.Single(parameters.HostConfig!.Mounts!);
        Assert.Equal(("bind", "/srv/alice/data", "/home/work/data", true), (mount.Type, mount.Source, mount.Target, mount.ReadOnly));
        Assert.Equal(["sleep", "1"], parameters.Cmd);
    }

    [Fact]
    public void Ports_are_published_in_the_configured_range_and_a_bad_range_is_refused()
    {
        var ranged = new DockerRuntimeOptions { PublishHost = "10.0.0.5", PublishPorts = "32000-32767" };
        var parameters = DockerContainerParameters.For(Spec(), Image(), ranged, Allowed);

        var binding = Assert.Single(parameters.HostConfig!.PortBindings!["8888/tcp"]);
        Assert.Equal(("10.0.0.5", "32000-32767"), (binding.HostIP, binding.HostPort));
        foreach (var bad in new[] { "32000", "32767-32000", "0-10", "a-b", "1-70000" })
        {
            var error = Assert.Throws<InvalidOperationException>(() => new DockerRuntimeOptions { PublishPorts = bad }.PublishPortRange());
            Assert.Contains("PublishPorts", error.Message);
        }
    }

    [Fact]
    public void Gpus_are_requested_by_uuid_from_the_nvidia_runtime_and_nothing_else_is()
    {
        var withGpu = DockerContainerParameters.For(Spec(["GPU-aaaa"]), Image(), Options, Allowed);
        var without = DockerContainerParameters.For(Spec(), Image(), Options, Allowed);

        var request = Assert.Single(withGpu.HostConfig!.DeviceRequests!);
        Assert.Equal("nvidia", request.Driver);
        Assert.Equal(["GPU-aaaa"], request.DeviceIDs);
        Assert.Contains("NVIDIA_DRIVER_CAPABILITIES=compute,utility", withGpu.Env);
        Assert.Null(without.HostConfig!.DeviceRequests);
        Assert.Equal(["A=1"], without.Env);
    }

    [Fact]
    public void The_nodes_nvidia_capabilities_win_over_the_specs()
    {
        var spec = Spec(["GPU-aaaa"]) with { Env = new Dictionary<string, string> { ["NVIDIA_DRIVER_CAPABILITIES"] = "all" } };
        var cpuOnly = Spec() with { Env = new Dictionary<string, string> { ["NVIDIA_DRIVER_CAPABILITIES"] = "all" } };

        Assert.Contains("NVIDIA_DRIVER_CAPABILITIES=compute,utility", DockerContainerParameters.For(spec, Image(), Options, Allowed).Env);
        Assert.DoesNotContain(DockerContainerParameters.For(cpuOnly, Image(), Options, Allowed).Env, e => e.StartsWith("NVIDIA_DRIVER", StringComparison.Ordinal));
    }

    [Fact]
    public void The_default_allow_list_has_neither_dac_override_nor_fowner()
    {
        Assert.DoesNotContain("DAC_OVERRIDE", Allowed);
        Assert.DoesNotContain("FOWNER", Allowed);
        Assert.Throws<ContainerRuntimeException>(() => DockerContainerParameters.For(Spec(), Image("SETUID,DAC_OVERRIDE"), Options, Allowed));
    }

    [Fact]
    public void The_container_joins_its_own_network()
    {
        Assert.Equal("granary-s1", DockerContainerParameters.For(Spec(), Image(), Options, Allowed, network: "granary-s1").HostConfig!.NetworkMode);
    }
}
