using Granary.Agents;
using Granary.Agents.Launch;
using Granary.Resources;
using Granary.Silo.Hosting;

namespace Granary.IntegrationTests;

/// <summary>
/// An MPS client shares the host's IPC namespace, which an engine with user namespaces refuses: the client runs on an
/// engine without them (<see cref="PlainDocker"/>, as an MPS node runs its engine), and an agent with an MPS node
/// refuses to start on a remapped engine (the tests' own daemon, remapped as docker-up.sh starts it by default).
/// The GPUs are left out (this machine's Docker cannot start a device request).
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class MpsContainerTests(DockerFixture fixture, PlainDocker plain) : IClassFixture<PlainDocker>
{
    private static readonly GpuDeviceInfo H100 = new("GPU-7d2c1f0e-0000-4000-8000-000000000001", "NVIDIA H100 80GB HBM3", 80L * 1024 * 1024 * 1024, 0, Sms: 132);

    [Fact]
    public async Task An_mps_client_sees_the_pipe_directory_shares_the_host_ipc_namespace_and_has_its_limits()
    {
        var pipe = DockerFixture.NewHostFolder((LaunchSpec.SessionUid, LaunchSpec.SessionUid));
        try
        {
            await File.WriteAllTextAsync(Path.Combine(pipe, "control"), "");
            var launch = GpuEnforcement.For("mps", new GpuEnforcementOptions { MpsPipeDirectory = pipe }, [new GpuShare(H100.Uuid, 200)], [H100]);
            var spec = GpuContainerTests.WithoutDevices(fixture.Spec("mps", DockerFixture.BaseImage,
                ["sh", "-c", "ls $CUDA_MPS_PIPE_DIRECTORY; echo threads=$CUDA_MPS_ACTIVE_THREAD_PERCENTAGE mem=$CUDA_MPS_PINNED_DEVICE_MEM_LIMIT"]), launch);

            var id = await plain.Runtime.Create(spec, CancellationToken.None);
            try
            {
                var inspect = await plain.Docker.Containers.InspectContainerAsync(id, CancellationToken.None);
                Assert.Equal("host", inspect.HostConfig!.IpcMode);
                var mount = Assert.Single(inspect.Mounts);
                Assert.Equal((pipe, "/tmp/nvidia-mps", true), (mount.Source, mount.Destination, mount.RW));

                await plain.Runtime.Start(id, CancellationToken.None);
                using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
                var exitCode = await plain.Runtime.Wait(id, deadline.Token);
                var output = await plain.Runtime.Logs(id, 100, CancellationToken.None);

                Assert.True(exitCode == 0, output);
                Assert.Contains("control", output);
                Assert.Contains("threads=20 mem=0=16384M", output);
            }
            finally
            {
                await plain.Runtime.Remove(id, CancellationToken.None);
            }
        }
        finally
        {
            Directory.Delete(pipe, recursive: true);
        }
    }

    [Fact]
    public async Task An_agent_with_an_mps_node_refuses_an_engine_with_user_namespaces_and_takes_one_without()
    {
        Assert.True(fixture.RemapsUsers, "the tests' daemon should run with --userns-remap=default (deploy/scripts/docker-up.sh)");

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => GpuEnforcementSetup.RefuseRemappedEngine(fixture.Runtime, CancellationToken.None));

        Assert.Contains("user namespaces", refused.Message);
        Assert.Contains("GRANARY_DOCKERD_ARGS", refused.Message);
        await GpuEnforcementSetup.RefuseRemappedEngine(plain.Runtime, CancellationToken.None);
    }
}
