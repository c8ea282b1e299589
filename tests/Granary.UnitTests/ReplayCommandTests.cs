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
        // Five 2-GPU nodes and pods small enough that some arrive within a point of 100 % of the GPU.
        File.WriteAllLines(nodes, ["sn,cpu_milli,memory_mib,gpu,model", .. Enumerable.Range(0, 5).Select(i => $"n{i},8000,16384,2,T4")]);
        File.WriteAllLines(pods, ["name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time",
            "cpu,2000,1024,0,0,,LS,Running,0,10,0", "small,500,1024,1,100,,LS,Running,1,10,1", "share,1000,1024,1,600,,LS,Running,2,10,2",
            "whole,3000,1024,1,1000,,LS,Running,3,10,3"]);
        return (nodes, pods);
    }

    [Fact]
    public void The_bounds_are_rows_of_their_own_each_tighter_than_the_last_and_never_above_the_policy()
    {
        var (nodes, pods) = Trace();
        var output = new StringWriter();
        var code = ReplayCommand.Run(["replay", "--nodes", nodes, "--pods", pods, "--policy", "fgd", "--seeds", "42,43",
            "--bound", "--configuration-bound", "--holding", "fgd", "--hold", "all", "--json"], output, new StringWriter());

        Assert.Equal(0, code);
        var rows = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .ToDictionary(r => r.GetProperty("policy").GetString()!);
        Assert.Equal(["bound", "bound-configurations", "bound-holding-all-fgd", "bound-configurations-holding-all-fgd", "fgd"], rows.Keys);
        double At(string row, string point) => rows[row].GetProperty("unallocatedGpuPct").GetProperty(point).GetDouble();
        // Unallocated: the packing bound ≤ the configuration bound ≤ the latter keeping FGD's pods ≤ FGD; likewise held.
        Assert.InRange(At("bound-configurations", "100"), At("bound", "100"), At("bound-configurations-holding-all-fgd", "100"));
        Assert.InRange(At("bound-configurations-holding-all-fgd", "100"), At("bound-holding-all-fgd", "100"), At("fgd", "100"));
        // The configuration bound is read at 100 % only.
        Assert.False(rows["bound-configurations"].GetProperty("unallocatedGpuPct").TryGetProperty("90", out _));
    }

    [Fact]
    public void Left_out_prints_a_row_per_seed_of_pods_the_best_packing_holds_fewer_of_than_arrived()
    {
        var (nodes, pods) = Trace();
        var output = new StringWriter();

        var code = ReplayCommand.Run(["replay", "--nodes", nodes, "--pods", pods, "--policy", "fgd", "--seeds", "42,43", "--left-out", "--json"],
            output, new StringWriter());

        Assert.Equal(0, code);
        var rows = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(r => r.TryGetProperty("leftOut", out _)).ToArray();
        Assert.Equal([42, 43], rows.Select(r => r.GetProperty("seed").GetInt32()));
        foreach (var left in rows.SelectMany(r => r.GetProperty("leftOut").EnumerateArray()))
            Assert.True(left.GetProperty("placed").GetDouble() < left.GetProperty("arrived").GetInt32() - 0.05, left.ToString());
    }

    [Fact]
    public void Following_the_plan_is_a_row_per_hold_never_below_the_bound_and_its_file_keeps_the_plan()
    {
        var (nodes, pods) = Trace();
        var planFile = Path.Combine(_directory, "plan.json");
        string[] args = ["replay", "--nodes", nodes, "--pods", pods, "--policy", "fgd", "--seeds", "42,43", "--configuration-bound",
            "--follow-plan", "0,1", "--plan-file", planFile, "--json"];
        var first = new StringWriter();

        Assert.Equal(0, ReplayCommand.Run(args, first, new StringWriter()));
        var rows = first.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .ToDictionary(r => r.GetProperty("policy").GetString()!);
        Assert.Equal(["bound", "bound-configurations", "fgd", "plan-hold-0", "plan-hold-1"], rows.Keys);
        double At(string row) => rows[row].GetProperty("unallocatedGpuPct").GetProperty("100").GetDouble();
        Assert.True(At("plan-hold-0") >= At("bound-configurations") && At("plan-hold-1") >= At("bound-configurations"));
        Assert.True(File.Exists(planFile));

        // A second run reads the kept plan (the same rows); the time-based replay follows it too.
        var plan = File.ReadAllText(planFile);
        var second = new StringWriter();
        Assert.Equal(0, ReplayCommand.Run(args, second, new StringWriter()));
        static string Figures(StringWriter output) => string.Join('\n', output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("unallocatedGpuPct").ToString()));
        Assert.Equal(Figures(first), Figures(second));   // pods/s aside
        Assert.Equal(plan, File.ReadAllText(planFile));
        var timed = new StringWriter();
        Assert.Equal(0, ReplayCommand.Run(["replay", "--nodes", nodes, "--pods", pods, "--policy", "fgd", "--seeds", "42", "--time",
            "--follow-plan", "0", "--plan-file", planFile, "--json"], timed, new StringWriter()));
        Assert.Contains("\"plan-hold-0\"", timed.ToString(), StringComparison.Ordinal);
        var (replanning, solves) = (new StringWriter(), new StringWriter());
        Assert.Equal(0, ReplayCommand.Run(["replay", "--nodes", nodes, "--pods", pods, "--policy", "fgd", "--seeds", "42", "--time",
            "--follow-plan", "0", "--plan-file", planFile, "--replan", "3600", "--json"], replanning, solves));
        Assert.Contains("\"plan-hold-0-replan-3600s\"", replanning.ToString(), StringComparison.Ordinal);
        Assert.Matches(@"^--replan: seed 42: \d+ plans solved, \d+ not followed", solves.ToString());
    }

    [Fact]
    public void The_trial_row_replays_whichever_held_more_of_the_GPUs_on_the_plans_draw()
    {
        var (nodes, pods) = Trace();
        var (output, error) = (new StringWriter(), new StringWriter());

        Assert.Equal(0, ReplayCommand.Run(["replay", "--nodes", nodes, "--pods", pods, "--policy", "fgd-adaptive", "--seeds", "42,43",
            "--follow-plan", "0,1", "--plan-file", Path.Combine(_directory, "plan.json"), "--trial", "--json"], output, error));

        var rows = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .ToDictionary(r => r.GetProperty("policy").GetString()!);
        Assert.Equal(["fgd-adaptive", "plan-hold-0", "plan-hold-1", "plan-hold-0-tried", "plan-hold-1-tried"], rows.Keys);
        var trials = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, trials.Length);
        foreach (var (hold, line) in new[] { "0", "1" }.Zip(trials))
        {
            var trial = System.Text.RegularExpressions.Regex.Match(line,
                $@"^--trial: hold {hold}: on draw 1000 the plan held (\d+) GPU milli, fgd-adaptive (\d+): (the plan followed|fgd-adaptive kept)$");
            Assert.True(trial.Success, line);
            var followed = trial.Groups[3].Value == "the plan followed";
            Assert.Equal(long.Parse(trial.Groups[1].Value) > long.Parse(trial.Groups[2].Value), followed);
            var replayed = followed ? $"plan-hold-{hold}" : "fgd-adaptive";
            Assert.Equal(rows[replayed].GetProperty("unallocatedGpuPct").ToString(), rows[$"plan-hold-{hold}-tried"].GetProperty("unallocatedGpuPct").ToString());
        }
    }

    [Theory]
    [InlineData("--replan", "0", "--replan: '0' is not a number of seconds > 0")]
    [InlineData("--follow-plan", "0", "--replan needs --time and --follow-plan")]
    [InlineData("--trial", "--time", "--trial needs --follow-plan without --time")]
    public void Replanning_is_refused_without_a_period_or_outside_the_timed_plan_rows(string option, string value, string message)
    {
        var (nodes, pods) = Trace();
        var error = new StringWriter();
        string[] replan = option switch
        {
            "--replan" => ["--time", "--follow-plan", "0"],
            "--trial" => ["--follow-plan", "0"],
            _ => ["--replan", "60"],
        };

        var code = ReplayCommand.Run(["replay", "--nodes", nodes, "--pods", pods, .. replan, option, value], new StringWriter(), error);

        Assert.Equal(2, code);
        Assert.Contains(message, error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--follow-plan", "2", "--follow-plan: '2' is not a part of the GPUs from 0 to 1")]
    [InlineData("--plan-seed", "x", "--plan-seed: 'x' is not a seed")]
    [InlineData("--plan-file", "broken", "--plan-file: ")]
    public void A_bad_plan_argument_is_refused_by_name(string option, string value, string message)
    {
        var (nodes, pods) = Trace();
        File.WriteAllText(Path.Combine(_directory, "broken"), "{not json");
        var error = new StringWriter();
        string[] follow = option == "--follow-plan" ? [] : ["--follow-plan", "0"];
        var argument = option == "--plan-file" ? Path.Combine(_directory, value) : value;

        var code = ReplayCommand.Run(["replay", "--nodes", nodes, "--pods", pods, .. follow, option, argument], new StringWriter(), error);

        Assert.Equal(2, code);
        Assert.Contains(message, error.ToString(), StringComparison.Ordinal);
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

    [Fact]
    public void The_bound_as_good_as_a_policy_is_a_row_between_the_bound_and_that_policy()
    {
        var (nodes, pods) = Trace();
        var output = new StringWriter();
        var code = ReplayCommand.Run(["replay", "--nodes", nodes, "--pods", pods, "--policy", "fgd", "--seeds", "42,43",
            "--bound", "--as-good-as", "fgd", "--json"], output, new StringWriter());

        Assert.Equal(0, code);
        var rows = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .ToDictionary(r => r.GetProperty("policy").GetString()!);
        Assert.Equal(["bound", "bound-as-good-as-fgd", "fgd"], rows.Keys);
        double At(string row, string point) => rows[row].GetProperty("unallocatedGpuPct").GetProperty(point).GetDouble();
        var points = rows["fgd"].GetProperty("unallocatedGpuPct").EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Number)
            .Select(p => p.Name).ToArray();
        Assert.Contains("100", points);
        foreach (var point in points)
            Assert.InRange(At("bound-as-good-as-fgd", point), At("bound", point), At("fgd", point));
    }

    [Fact]
    public void As_good_as_without_the_bound_is_refused_by_name()
    {
        var (nodes, pods) = Trace();
        var error = new StringWriter();
        var code = ReplayCommand.Run(["replay", "--nodes", nodes, "--pods", pods, "--as-good-as", "fgd"], new StringWriter(), error);

        Assert.Equal(2, code);
        Assert.Contains("--as-good-as needs --bound", error.ToString(), StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
