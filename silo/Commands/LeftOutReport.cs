using System.Globalization;
using System.Text;
using System.Text.Json;
using Granary.Scheduling.Replay;

namespace Granary.Silo.Replay;

/// <summary>Prints what the configuration bound's best packing leaves out at 100 % (<c>replay --left-out</c>): the pod
/// types it holds fewer of than arrived, the most GPU left out first. A policy that places every pod that fits could
/// only reach the bound by refusing those.</summary>
public static class LeftOutReport
{
    public const string Header = "what the best packing behind the configuration bound leaves out at 100 % (pods of a type: left out of arrived)";

    private const double Visible = 0.05;   // pods: less is the LP's rounding

    private static IEnumerable<ConfigurationBound.TypePlacement> LeftOut(IReadOnlyList<ConfigurationBound.TypePlacement> placements) =>
        placements.Where(p => p.Arrived - p.Placed >= Visible).OrderByDescending(p => (p.Arrived - p.Placed) * p.Type.TotalGpuMilli);

    public static string ToRow(int seed, IReadOnlyList<ConfigurationBound.TypePlacement> placements)
    {
        var left = LeftOut(placements).Select(p => string.Format(CultureInfo.InvariantCulture,
            "{0:0.#} of {1} × {2}", p.Arrived - p.Placed, p.Arrived, Describe(p.Type))).ToArray();
        return $"seed {seed}: " + (left.Length == 0 ? "nothing" : string.Join("; ", left));
    }

    public static string ToJson(int seed, IReadOnlyList<ConfigurationBound.TypePlacement> placements)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("seed", seed);
            writer.WriteStartArray("leftOut");
            foreach (var p in LeftOut(placements))
            {
                writer.WriteStartObject();
                writer.WriteNumber("numGpu", p.Type.NumGpu);
                writer.WriteNumber("gpuMilli", p.Type.GpuMilli);
                writer.WriteNumber("cpuMilli", p.Type.CpuMilli);
                writer.WriteNumber("memoryMib", p.Type.MemoryMib);
                writer.WriteString("models", p.Type.Models);
                writer.WriteNumber("arrived", p.Arrived);
                writer.WriteNumber("placed", Math.Round(p.Placed, 2));
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string Describe(PackingBound.PodType type) => string.Format(CultureInfo.InvariantCulture,
        "{0}{1} milli GPU, {2:0.#} cores, {3} MiB{4}", type.NumGpu > 1 ? $"{type.NumGpu} × " : "", type.GpuMilli,
        type.CpuMilli / 1000.0, type.MemoryMib, type.Models.Length > 0 ? $" on {type.Models}" : "");
}
