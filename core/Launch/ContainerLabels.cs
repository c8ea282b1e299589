namespace Granary.Agents;

/// <summary>Labels on every session container: how an agent finds its containers again after a restart.</summary>
public static class ContainerLabels
{
    public const string Session = "granary.session";
    public const string Owner = "granary.owner";
    public const string Node = "granary.node";
}
