namespace Granary.Silo.Adapters.Docker;

/// <summary>A Docker operation failed; the message says which and why (the engine's own message included).</summary>
public sealed class DockerRuntimeException(string message, Exception? inner = null) : Exception(message, inner);
