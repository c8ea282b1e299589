using System.Globalization;
using Granary.Agents;
using Granary.Resources;

namespace Granary.Scheduling.Replay;

/// <summary>A node of a trace: its name, CPU (milli-cores), memory (MiB), GPU count and model.</summary>
public sealed record TraceNode(string Name, long CpuMilli, long MemoryMib, int Gpus, string Model)
{
    /// <summary>The node as the scheduler sees it (GPUs "{name}-gpu{i}", one fGPU per device), under the given agent id.</summary>
    public NodeState ToNodeState(string agentId) => new(agentId, new AgentCapacity(CpuMilli, MemoryMib << 20,
        Enumerable.Range(0, Gpus).Select(i => new GpuDeviceInfo($"{Name}-gpu{i}", Model, 0, i)).ToArray()), []);
}

/// <summary>A pod of a trace: whole GPUs (NumGpu, GpuMilli 1000) or a share of one (NumGpu 1, GpuMilli &lt; 1000),
/// optionally restricted to GPU models; with the trace's creation and deletion times (seconds) when it has them.</summary>
public sealed record TracePod(string Name, long CpuMilli, long MemoryMib, int NumGpu, int GpuMilli, string[]? GpuModels,
    long? CreationTime = null, long? DeletionTime = null)
{
    /// <summary>The GPU milli the pod asks for in all (what "arrived workload" counts).</summary>
    public long TotalGpuMilli => NumGpu <= 0 ? 0 : (long)NumGpu * GpuMilli;

    public ResourceRequest ToRequest() =>
        NumGpu <= 0 || GpuMilli <= 0 ? new ResourceRequest(CpuMilli, MemoryMib << 20, GpuModels: GpuModels)
        : GpuMilli >= 1000 ? new ResourceRequest(CpuMilli, MemoryMib << 20, Gpus: NumGpu, GpuModels: GpuModels)
        : new ResourceRequest(CpuMilli, MemoryMib << 20, FgpuMilli: (long)NumGpu * GpuMilli, GpuModels: GpuModels);
}

/// <summary>Reads the trace's CSV files by header name (extra columns ignored, order free).</summary>
public static class TraceCsv
{
    public static IReadOnlyList<TraceNode> ReadNodes(TextReader reader) =>
        Read(reader, ["sn", "cpu_milli", "memory_mib", "gpu", "model"], (row, line) => new TraceNode(
            row("sn"), Long(row("cpu_milli"), "cpu_milli", line), Long(row("memory_mib"), "memory_mib", line),
            (int)Long(row("gpu"), "gpu", line), row("model")));

    public static IReadOnlyList<TracePod> ReadPods(TextReader reader) =>
        Read(reader, ["name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli"], (row, line) =>
        {
            var spec = row("gpu_spec");
            var models = spec.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
            var numGpu = (int)Long(row("num_gpu"), "num_gpu", line);
            var gpuMilli = (int)Long(row("gpu_milli"), "gpu_milli", line);
            if (numGpu < 0 || gpuMilli < 0 || gpuMilli > 1000 || (numGpu > 1 && gpuMilli is > 0 and < 1000))
                throw new FormatException($"line {line}: num_gpu {numGpu} with gpu_milli {gpuMilli} is not a whole-GPU or single-GPU-share request");
            return new TracePod(row("name"), Long(row("cpu_milli"), "cpu_milli", line), Long(row("memory_mib"), "memory_mib", line),
                numGpu, gpuMilli, models.Length == 0 ? null : models,
                OptionalLong(row("creation_time"), "creation_time", line), OptionalLong(row("deletion_time"), "deletion_time", line));
        });

    public static IReadOnlyList<TraceNode> ReadNodes(string path)
    {
        using var reader = new StreamReader(path);
        return ReadNodes(reader);
    }

    public static IReadOnlyList<TracePod> ReadPods(string path)
    {
        using var reader = new StreamReader(path);
        return ReadPods(reader);
    }

    private static List<T> Read<T>(TextReader reader, string[] required, Func<Func<string, string>, int, T> parse)
    {
        var header = reader.ReadLine() ?? throw new FormatException("empty file: no header line");
        var columns = header.Split(',').Select(c => c.Trim()).ToArray();
        var index = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < columns.Length; i++) index.TryAdd(columns[i], i);
        foreach (var name in required)
            if (!index.ContainsKey(name)) throw new FormatException($"missing column '{name}' (header: {header})");

        var items = new List<T>();
        var lineNumber = 1;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0) continue;
            var cells = line.Split(',');
            string Cell(string name) => index.TryGetValue(name, out var i) && i < cells.Length ? cells[i].Trim() : "";
            items.Add(parse(Cell, lineNumber));
        }
        return items;
    }

    private static long? OptionalLong(string text, string column, int line) => text.Length == 0 ? null : Long(text, column, line);

    private static long Long(string text, string column, int line) =>
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"line {line}: column '{column}' is not an integer: '{text}'");
}
