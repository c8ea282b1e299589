namespace Granary.Resources;

/// <summary>A value, or errors keyed by the field they concern (field → messages).</summary>
public sealed record ValidationResult<T>(T? Value, IReadOnlyDictionary<string, string[]> Errors)
{
    public bool IsValid => Errors.Count == 0;
}
