using System.Text.Json;
using Granary.Silo.Replay;

namespace Granary.UnitTests;

/// <summary>The replay verb on a trace small enough to write here: the bound rows it prints and the arguments it refuses.</summary>
public sealed class ReplayCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("granary-replay-").FullName;

    private (string Nodes, string Pods) Trace()
    {
        var nodes = Path.Combine(_directory, "nodes.csv");
        var pods = Path.Combine(_directory, "pods.csv");
        File.WriteAllLines(nodes, ["sn,cpu_milli,memory_mib,gpu,model", "n0,8000,16384,1,T4", "n1,8000,16384,1,T4"]);
        File.WriteAllLines(pods, ["name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time",
            "cpu,6000,1024,0,0,,LS,Running,0,10,0", "share,1000,1024,1,600,,LS,Running,1,10,1", "whole,4000,1024,1,1000,,LS,Running,2,10,2"]);
        return (nodes, pods);
    }

    [Fact]
    public void The_bound_holding_everything_a_policy_placed_is_a_row_of_its_own_never_below_the_bound()
    {
        var (nodes, pods) = Trace();
        var output = new StringWriter();
        var code = ReplayCommand.Run(["replay", "--nodes", nodes, "--pods", pods, "--policy", "fgd", "--seeds", "42,43",
            "--bound", "--holding", "fgd", "--hold", "all", "--json"], output, new StringWriter());

        Assert.Equal(0, code);
        var rows = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(["bound", "bound-holding-all-fgd", "fgd"], rows.Select(r => r.GetProperty("policy").GetString()));
        var points = rows[0].GetProperty("unallocatedGpuPct").EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Number).ToArray();
        Assert.NotEmpty(points);
        foreach (var point in points)
        {
            var held = rows[1].GetProperty("unallocatedGpuPct").GetProperty(point.Name).GetDouble();
            Assert.InRange(held, point.Value.GetDouble(), 100);
            Assert.InRange(rows[2].GetProperty("unallocatedGpuPct").GetProperty(point.Name).GetDouble(), held - 0.01, 100);
        }
    }

    [Fact]
    public void An_unknown_hold_is_refused_by_name()
    {
        var (nodes, pods) = Trace();
        var error = new StringWriter();
        var code = ReplayCommand.Run(["replay", "--nodes", nodes, "--pods", pods, "--bound", "--holding", "fgd", "--hold", "most"],
            new StringWriter(), error);

        Assert.Equal(2, code);
        Assert.Contains("--hold: 'most' is not large or all", error.ToString(), StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
