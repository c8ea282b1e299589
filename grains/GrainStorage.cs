namespace Granary;

/// <summary>The grain storage provider every Granary grain persists its state in.</summary>
public static class GrainStorage
{
    public const string Name = "granary";
}
