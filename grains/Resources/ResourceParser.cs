namespace Granary.Resources;

/// <summary>Turns client input into a ResourceRequest, or field-named errors ("cpu", "memory", "gpu", "fgpu", "gpuModels").</summary>
public static class ResourceParser
{
    /// <summary>Parses "4g", "512m", "1.5Gi", "1024" (bytes). Throws FormatException with a readable message.</summary>
    public static long ParseMemory(string text) => throw new NotImplementedException();

    public static ValidationResult<ResourceRequest> Parse(ResourceInput input) => throw new NotImplementedException();
}
