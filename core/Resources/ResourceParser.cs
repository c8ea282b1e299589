using System.Globalization;
using System.Text.RegularExpressions;
using Granary.Devices;

namespace Granary.Resources;

/// <summary>Turns client input into a ResourceRequest, or field-named errors ("cpu", "memory", "gpu", "fgpu", "gpuModels", "mig").</summary>
public static partial class ResourceParser
{
    public const decimal MaxCpuCores = 4096m;
    public const long MaxMemoryBytes = 64L << 40; // 64 TiB
    public const int MaxGpus = 64;
    public const decimal MaxFgpu = 64m;
    public const int MaxGpuModels = 16;
    public const int MaxGpuModelLength = 64;

    // A number, then an optional binary unit: k/m/g/t/p, optionally followed by "i" and/or "b" ("2Gi", "4GB", "1GiB").
    [GeneratedRegex(@"^\s*(?<n>\d+(\.\d+)?)\s*(?<u>[kmgtp]?)(?<s>i?b?)\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex MemoryPattern();

    /// <summary>Parses "4g", "512m", "1.5Gi", "1024" (bytes). Units are binary (1k = 1024) and case-insensitive.
    /// Throws FormatException with a readable message.</summary>
    public static long ParseMemory(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var match = MemoryPattern().Match(text);
        if (!match.Success)
            throw new FormatException($"'{text}' is not a memory size; use bytes or a number with a unit, e.g. 512m, 4g, 2Gi.");

        var unit = match.Groups["u"].Value.ToLowerInvariant();
        var suffix = match.Groups["s"].Value;
        if (unit.Length == 0 && suffix.StartsWith("i", StringComparison.OrdinalIgnoreCase))
            throw new FormatException($"'{text}' is not a memory size; 'i' must follow a unit (Ki, Mi, Gi, Ti, Pi).");

        if (!decimal.TryParse(match.Groups["n"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            throw new FormatException($"'{text}' is too large to be a memory size.");

        if (unit.Length == 0 && number != decimal.Truncate(number))
            throw new FormatException($"'{text}' is not a whole number of bytes; add a unit (e.g. 1.5g).");

        int shift = unit switch { "" => 0, "k" => 10, "m" => 20, "g" => 30, "t" => 40, "p" => 50, _ => throw new FormatException($"'{text}' has an unknown unit.") };
        decimal bytes;
        try
        {
            bytes = decimal.Ceiling(number * (1L << shift));
        }
        catch (OverflowException)
        {
            throw new FormatException($"'{text}' is too large to be a memory size.");
        }
        if (bytes > long.MaxValue)
            throw new FormatException($"'{text}' is too large to be a memory size.");
        return (long)bytes;
    }

    public static ValidationResult<ResourceRequest> Parse(ResourceInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var errors = new Dictionary<string, List<string>>();
        void Error(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list)) errors[field] = list = [];
            list.Add(message);
        }

        long cpuMilli = 0;
        if (input.Cpu is not { } cpu) Error("cpu", "cpu is required (cores, e.g. 0.5 or 4).");
        else if (cpu <= 0) Error("cpu", "cpu must be greater than 0.");
        else if (cpu > MaxCpuCores) Error("cpu", $"cpu must be at most {MaxCpuCores} cores.");
        else if (!HasAtMostThreeDecimals(cpu)) Error("cpu", "cpu allows at most 3 decimal places (milli-cores).");
        else cpuMilli = (long)(cpu * 1000m);

        long memoryBytes = 0;
        if (string.IsNullOrWhiteSpace(input.Memory)) Error("memory", "memory is required (e.g. 512m, 4g).");
        else
        {
            try
            {
                memoryBytes = ParseMemory(input.Memory);
                if (memoryBytes <= 0) Error("memory", "memory must be greater than 0.");
                else if (memoryBytes > MaxMemoryBytes) Error("memory", "memory must be at most 64 TiB.");
            }
            catch (FormatException e)
            {
                Error("memory", e.Message);
            }
        }

        int gpus = input.Gpu ?? 0;
        if (gpus < 0) Error("gpu", "gpu must be 0 or more.");
        else if (gpus > MaxGpus) Error("gpu", $"gpu must be at most {MaxGpus}.");

        long fgpuMilli = 0;
        var fgpu = input.Fgpu ?? 0m;
        if (fgpu < 0) Error("fgpu", "fgpu must be 0 or more.");
        else if (fgpu > MaxFgpu) Error("fgpu", $"fgpu must be at most {MaxFgpu}.");
        else if (!HasAtMostThreeDecimals(fgpu)) Error("fgpu", "fgpu allows at most 3 decimal places.");
        else fgpuMilli = (long)(fgpu * 1000m);

        if (gpus > 0 && fgpu > 0) Error("fgpu", "set gpu or fgpu, not both.");

        string? mig = null;
        if (input.Mig is { } profile)
        {
            if (!MigSlots.IsProfileName(profile)) Error("mig", "mig must be a MIG profile name such as 1g.10gb or 3g.40gb.");
            else if (gpus > 0 || fgpu > 0) Error("mig", "set mig or gpu/fgpu, not both: mig asks for one whole MIG instance.");
            else mig = profile;
        }

        string[]? models = null;
        if (input.GpuModels is { Length: > 0 } given)
        {
            if (given.Length > MaxGpuModels) Error("gpuModels", $"gpuModels allows at most {MaxGpuModels} entries.");
            else if (given.Any(m => string.IsNullOrWhiteSpace(m) || m.Trim().Length > MaxGpuModelLength))
                Error("gpuModels", $"gpuModels entries must be non-empty names of at most {MaxGpuModelLength} characters.");
            else if (gpus <= 0 && fgpu <= 0 && input.Mig is null) Error("gpuModels", "gpuModels applies only when gpu, fgpu or mig is requested.");
            else models = given.Select(m => m.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        }

        if (errors.Count > 0)
            return new ValidationResult<ResourceRequest>(null, errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
        return new ValidationResult<ResourceRequest>(
            mig is null
                ? new ResourceRequest(cpuMilli, memoryBytes, gpus, fgpuMilli, models)
                : new ResourceRequest(cpuMilli, memoryBytes, 0, MigSlots.FgpuMilliOf(mig), models, mig),
            new Dictionary<string, string[]>());
    }

    private static bool HasAtMostThreeDecimals(decimal value) => decimal.Round(value, 3) == value;
}
