namespace Granary.Benchmarks.Bare;

/// <summary>The fields of the gateway's session answer (SessionResponse), with typical values.</summary>
public sealed record BareSession(
    string Id, string Name, string Owner, string Image, string Type, string Status, string? StatusReason,
    BareResources Resources, string? Agent, object[] Gpus, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt,
    DateTimeOffset? TerminatedAt, int? ExitCode, BareApp[] Apps, string ResourceGroup, int Priority, object[] Mounts,
    string[]? Command, string OwnerId)
{
    public static BareSession Example(string id) => new(
        id, "bench", "bench", "granary/python:3.11", "interactive", "RUNNING", null, new BareResources(0.25, 268435456, 0, 0),
        "bench-node", [], DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, null, null,
        [new BareApp("jupyter", "http", "ready", $"/v1/sessions/{id}/apps/jupyter/"), new BareApp("ssh", "tcp", "ready", null),
         new BareApp("terminal", "http", "ready", $"/v1/sessions/{id}/apps/terminal/")],
        "default", 0, [], null, "U0123456789abcdef");
}

public sealed record BareResources(double Cpu, long Memory, int Gpu, double Fgpu);

public sealed record BareApp(string Name, string Protocol, string State, string? Url);

/// <summary>The create body as clients send it (memory as "256m").</summary>
public sealed record BareCreate(string? Image, BareCreateResources? Resources);

public sealed record BareCreateResources(double Cpu, string? Memory);
