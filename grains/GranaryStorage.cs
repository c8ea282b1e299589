namespace Granary;

/// <summary>The grain storage provider every Granary grain state lives in (memory or PostgreSQL, chosen by the host).</summary>
public static class GranaryStorage
{
    public const string Name = "granary";
}
