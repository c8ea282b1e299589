using Granary.Agents;
using Granary.Agents.Launch;
using Granary.Agents.Runtime;
using Granary.Resources;
using Granary.Silo.Adapters.Docker;

namespace Granary.IntegrationTests;

/// <summary>
/// What each enforcement mode asks of Docker. The parts that need no NVIDIA runtime (HAMi's library and its preload
/// file; MPS in <see cref="MpsContainerTests"/>) run on the real daemon with the GPUs left out; the device request
/// itself is checked in the create parameters (this machine's Docker cannot start one).
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class GpuContainerTests(DockerFixture fixture)
{
    private const long GiB = 1024L * 1024 * 1024;
    private static readonly GpuDeviceInfo H100 = new("GPU-7d2c1f0e-0000-4000-8000-000000000001", "NVIDIA H100 80GB HBM3", 80 * GiB, 0, Sms: 132);
    private static readonly GpuDeviceInfo Mig = new("MIG-5a1b2c3d-0000-4000-8000-000000000009", "NVIDIA H100 80GB HBM3", 10 * GiB, 1, Sms: 16, Parent: "GPU-x", MigProfile: "1g.10gb");

    [Fact]
    public async Task A_hami_container_preloads_the_mounted_library_into_every_process_and_cannot_change_it()
    {
        var host = fixture.NewHostFolder();
        try
        {
            var library = Path.Combine(host, "libvgpu.so");
            var source = Path.Combine(host, "fake_libvgpu.c");
            await File.WriteAllTextAsync(source, """
                #include <stdio.h>
                #include <stdlib.h>
                __attribute__((constructor)) static void loaded(void)
                {
                    const char *limit = getenv("CUDA_DEVICE_SM_LIMIT");
                    fprintf(stderr, "fake-libvgpu loaded, sm limit %s\n", limit ? limit : "unset");
                }
                """);
            Tool.Run("gcc", ["-shared", "-fPIC", "-Wall", "-Werror", "-o", library, source]).EnsureSuccess();
            var preload = Path.Combine(host, "ld.so.preload");
            await File.WriteAllTextAsync(preload, GpuEnforcement.HamiPreloadContent);
            var options = new GpuEnforcementOptions { HamiLibrary = library, HamiPreloadFile = preload };
            var launch = GpuEnforcement.For("hami", options, [new GpuShare(H100.Uuid, 500)], [H100]);
            var spec = WithoutDevices(fixture.Spec("hami", DockerFixture.BaseImage,
                ["sh", "-c", "cat /etc/ld.so.preload; echo mem=$CUDA_DEVICE_MEMORY_LIMIT_0; (echo /tmp/other.so > /etc/ld.so.preload) 2>/dev/null || echo preload-is-read-only"]), launch);

            var (exitCode, output, _) = await fixture.RunToEnd(spec);

            Assert.True(exitCode == 0, output);
            Assert.Contains("fake-libvgpu loaded, sm limit 50", output);
            Assert.Contains("/usr/local/vgpu/libvgpu.so", output);
            Assert.Contains("mem=40960m", output);
            Assert.Contains("preload-is-read-only", output);
        }
        finally
        {
            Directory.Delete(host, recursive: true);
        }
    }

    [Fact]
    public void The_create_request_names_the_devices_by_uuid_beside_the_mps_mount_and_ipc()
    {
        var launch = GpuEnforcement.For("mps", new GpuEnforcementOptions(), [new GpuShare(H100.Uuid, 500)], [H100]);
        var spec = fixture.Spec("mps-create", DockerFixture.BaseImage) with
        {
            Env = launch.Env,
            Mounts = launch.Mounts,
            IpcMode = launch.IpcMode,
            GpuUuids = launch.DeviceUuids,
        };

        var parameters = DockerContainerParameters.For(spec, new RuntimeImage(spec.Image, new Dictionary<string, string>()), new DockerRuntimeOptions(), []);

        var request = Assert.Single(parameters.HostConfig!.DeviceRequests!);
        Assert.Equal(("nvidia", "gpu"), (request.Driver, Assert.Single(Assert.Single(request.Capabilities))));
        Assert.Equal([H100.Uuid], request.DeviceIDs);
        Assert.Equal(0, request.Count); // never a count beside the ids
        Assert.Equal("host", parameters.HostConfig!.IpcMode);
        var mount = Assert.Single(parameters.HostConfig!.Mounts!);
        Assert.Equal(("bind", "/run/granary/mps/pipe", "/tmp/nvidia-mps", false), (mount.Type, mount.Source, mount.Target, mount.ReadOnly));
        Assert.Contains("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=50", parameters.Env);
        Assert.Contains("NVIDIA_DRIVER_CAPABILITIES=compute,utility", parameters.Env);
    }

    [Fact]
    public void A_mig_container_asks_the_nvidia_runtime_for_the_mig_device_and_nothing_else()
    {
        var launch = GpuEnforcement.For("mig", new GpuEnforcementOptions(), [new GpuShare(Mig.Uuid, 1000)], [H100, Mig]);
        var spec = fixture.Spec("mig-create", DockerFixture.BaseImage) with
        {
            Env = launch.Env,
            Mounts = launch.Mounts,
            IpcMode = launch.IpcMode,
            GpuUuids = launch.DeviceUuids,
        };

        var parameters = DockerContainerParameters.For(spec, new RuntimeImage(spec.Image, new Dictionary<string, string>()), new DockerRuntimeOptions(), []);

        Assert.Equal([Mig.Uuid], Assert.Single(parameters.HostConfig!.DeviceRequests!).DeviceIDs);
        Assert.Equal("", parameters.HostConfig!.IpcMode); // the daemon's default: a private namespace
        Assert.Empty(parameters.HostConfig!.Mounts!);
        Assert.Contains($"NVIDIA_VISIBLE_DEVICES={Mig.Uuid}", parameters.Env);
    }

    /// <summary>Everything the mode asks for except the device request, which needs the NVIDIA runtime.</summary>
    internal static ContainerSpec WithoutDevices(ContainerSpec spec, GpuLaunch launch) =>
        spec with { Env = launch.Env, Mounts = launch.Mounts, IpcMode = launch.IpcMode, GpuUuids = [] };
}
