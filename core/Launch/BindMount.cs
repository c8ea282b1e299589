namespace Granary.Agents.Runtime;

/// <summary>A host path (folder or file) mounted into the container.</summary>
public sealed record BindMount(string HostPath, string ContainerPath, bool ReadOnly);
