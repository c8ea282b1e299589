namespace Granary.Agents.Runtime;

/// <summary>An image on the node: "name:tag" and its labels (environment name, version, service ports).</summary>
public sealed record RuntimeImage(string Reference, IReadOnlyDictionary<string, string> Labels);
