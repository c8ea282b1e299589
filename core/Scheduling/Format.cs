using System.Globalization;

namespace Granary.Scheduling;

/// <summary>Human-readable amounts for pending reasons and refusals.</summary>
internal static class Format
{
    public static string Cores(long milli) =>
        (milli / 1000m).ToString("0.###", CultureInfo.InvariantCulture) + (milli == 1000 ? " core" : " cores");

    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        decimal value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < units.Length - 1) { value /= 1024; unit++; }
        return decimal.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    public static string Gpus(int milli) =>
        milli % 1000 == 0 ? $"{milli / 1000} GPU{(milli == 1000 ? "" : "s")}" : $"{milli} milli-GPU";
}
