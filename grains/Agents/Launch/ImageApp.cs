namespace Granary.Agents.Launch;

/// <summary>An app an image serves. Protocol: "http" (proxied by the gateway), "tcp" (published as is,
/// e.g. ssh) or "exec" (no port: the gateway runs it through the container runtime, e.g. the tmux terminal).</summary>
public sealed record ImageApp(string Name, string Protocol, int? ContainerPort);
