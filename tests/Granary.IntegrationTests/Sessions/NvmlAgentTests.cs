using Granary.Agents;
using Granary.Resources;
using Granary.Sessions;

namespace Granary.IntegrationTests.Sessions;

/// <summary>
/// An agent silo with Granary:Agent:Gpus:Discovery=nvml, against the fake libnvidia-ml.so.1 of tests/native (built
/// here with gcc): the node's GPUs are the ones NVML reports, with their live metrics and processes in the agent's
/// device views, and the scheduler places GPU sessions on them. Containers are simulated (this is about the GPUs, not Docker).
/// A process binds one NVML library: this is the only test of this assembly that loads NVML.
/// </summary>
public sealed class NvmlAgentTests : IAsyncLifetime
{
    private const string A100 = "GPU-a100a100-0000-4000-8000-000000000001";
    private const string V100 = "GPU-v100v100-0000-4000-8000-000000000002";
    private readonly string _library = Directory.CreateTempSubdirectory("granary-it-nvml-").FullName;
    private GranaryCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        var build = Tool.Run("bash", [Path.Combine(Repository.Root, "tests", "native", "build-fake-nvml.sh"), _library]).EnsureSuccess();
        var libraryPath = build.Output.Trim();
        await File.WriteAllLinesAsync(Path.Combine(_library, "fake_nvml.conf"),
        [
            $"device {A100}|NVIDIA A100-SXM4-80GB|85899345920|1073741824|37|12|0|8.0|108",
            $"process {A100}|4194304|1048576", // above pid_max: no such process, so in no container and no session
            $"device {V100}|Tesla V100-SXM2-16GB|17179869184|0|-1|0|-1|-1",
        ]);
        _cluster = await GranaryCluster.Start("nvml", new Dictionary<string, string?>
        {
            ["Granary:Agent:Driver"] = "simulated",
            ["Granary:Agent:Gpus:Discovery"] = "nvml",
            ["Granary:Nvml:LibraryPath"] = libraryPath,
            ["Granary:Agent:Nodes:0:CpuCores"] = "16",
            ["Granary:Agent:Nodes:0:Memory"] = "64g",
            ["Granary:Agent:Nodes:0:EnforcementMode"] = "mps",
        });
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        Directory.Delete(_library, recursive: true);
    }

    [Fact]
    public async Task The_node_registers_the_gpus_nvml_reports_with_their_live_metrics_and_sessions_get_them()
    {
        var snapshot = await _cluster.Agent.GetSnapshot();

        Assert.Equal(
            [
                new GpuDeviceInfo(A100, "NVIDIA A100-SXM4-80GB", 85899345920, 0, 108, "8.0"),
                new GpuDeviceInfo(V100, "Tesla V100-SXM2-16GB", 17179869184, 1),
            ],
            snapshot.Capacity.Gpus);
        var views = await _cluster.Agent.GetGpus();
        var a100 = views.Single(v => v.Device.Uuid == A100);
        Assert.Equal((37, 1073741824L, _cluster.NodeId, "nvml", "mps", true), (a100.UtilizationPercent, a100.MemoryUsedBytes, a100.AgentId, a100.Source, a100.EnforcementMode, a100.Enforced));
        Assert.Equal([new GpuProcessView(4194304, 1048576, null, null)], a100.Processes!);
        Assert.NotNull(a100.SampledAt);
        var v100 = views.Single(v => v.Device.Uuid == V100);
        Assert.Equal(((int?)null, 0L), (v100.UtilizationPercent, v100.MemoryUsedBytes)); // no utilisation from this device

        var session = await Session.Create(_cluster.Client, Session.Spec("python:3.11") with
        {
            Resources = new ResourceRequest(1000, Session.GiB, Gpus: 2),
        });
        var running = await Session.WaitFor(session, SessionStatus.Running, SessionStatus.Error);

        Assert.True(running.Status == SessionStatus.Running, running.StatusReason);
        Assert.Equal([A100, V100], running.Gpus.Select(g => g.Uuid).Order());
        Assert.All(running.Gpus, g => Assert.Equal(1000, g.Milli));
        var shares = (await _cluster.Agent.GetGpus()).Single(v => v.Device.Uuid == A100).Shares;
        Assert.Equal(1000, shares[running.Id]);
        Assert.Equal(SessionStatus.Terminated, (await Session.Delete(session)).Status);
    }
}
