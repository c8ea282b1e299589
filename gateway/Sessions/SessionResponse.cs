using Granary.Gateway.Browser;
using Granary.Resources;
using Granary.Sessions;

namespace Granary.Gateway.Sessions;

/// <summary>A session as the REST API shows it. Owner is the owner's name when the session was created (a label),
/// ownerId their stable id. Statuses are upper-case ("RUNNING"); cpu in cores; memory in bytes.</summary>
public sealed record SessionResponse(
    string Id,
    string Name,
    string Owner,
    string Image,
    string Type,
    string Status,
    string? StatusReason,
    ResourcesResponse Resources,
    string? Agent,
    GpuShareResponse[] Gpus,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? TerminatedAt,
    int? ExitCode,
    AppResponse[] Apps,
    string ResourceGroup,
    int Priority,
    MountResponse[] Mounts,
    string[]? Command,
    string OwnerId,
    DateTimeOffset? NodeUnreachableSince)
{
    public static SessionResponse From(SessionView view, HttpRequest request) => new(
        view.Id,
        view.Spec.Name,
        view.Spec.OwnerName ?? view.Spec.Owner,
        view.Spec.Image,
        CreateSessionValidator.TypeName(view.Spec.Type),
        StatusName(view.Status),
        view.StatusReason,
        ResourcesResponse.From(view.Spec.Resources),
        view.AgentId,
        [.. view.Gpus.Select(GpuShareResponse.From)],
        view.CreatedAt,
        view.StartedAt,
        view.TerminatedAt,
        view.ExitCode,
        AppResponse.ListOf(view, request),
        view.Spec.ResourceGroup,
        view.Spec.Priority,
        [.. view.Spec.Mounts.Select(m => new MountResponse(m.Folder, m.Path, m.ReadOnly))],
        view.Spec.Command,
        view.Spec.Owner,
        view.NodeUnreachableSince);

    public static string StatusName(SessionStatus status) => status.ToString().ToUpperInvariant();
}

/// <summary>Mig: the MIG profile asked for (fgpu is then what it is charged as: its compute slices over 7).</summary>
public sealed record ResourcesResponse(decimal Cpu, long Memory, int Gpu, decimal Fgpu, string[]? GpuModels, string? Mig = null)
{
    public static ResourcesResponse From(ResourceRequest r)
        => new(r.CpuMilli / 1000m, r.MemoryBytes, r.Gpus, r.FgpuMilli / 1000m, r.GpuModels is { Length: > 0 } ? r.GpuModels : null, r.MigProfile);
}

/// <summary>A share of one GPU: share as a fraction of the device (0.2), milli as milli-GPU (200).</summary>
public sealed record GpuShareResponse(string Uuid, decimal Share, int Milli)
{
    public static GpuShareResponse From(GpuShare share) => new(share.Uuid, share.Milli / 1000m, share.Milli);
}

public sealed record MountResponse(string Folder, string Path, bool ReadOnly);

/// <summary>
/// An app of a running session: HTTP apps through the gateway's proxy, TCP apps (ssh) at the node's address, and
/// the web terminal, which every running session offers (a gateway page over the terminal WebSocket).
/// State: "starting" until the agent's probe finds the app answering, then "ready" (or "failed"); the terminal is
/// ready with the session.
/// </summary>
public sealed record AppResponse(string Name, string Protocol, string Url, string State)
{
    public const string Terminal = "terminal";

    public static AppResponse[] ListOf(SessionView view, HttpRequest request)
    {
        if (view.Status != SessionStatus.Running)
        {
            return [];
        }

        return
        [
            new AppResponse(Terminal, "http", ProxyUrl(view.Id, Terminal, request), StateName(AppState.Ready)),
            .. view.Apps.Where(app => app.Name != Terminal).Select(app => From(view.Id, app, request)),
        ];
    }

    private static AppResponse From(string sessionId, AppEndpoint app, HttpRequest request)
        => new(app.Name, app.Protocol, app.Protocol == "http"
            ? ProxyUrl(sessionId, app.Name, request)
            : $"{app.Protocol}://{app.Host}:{app.Port}",
            StateName(app.State));

    public static string StateName(AppState state) => state.ToString().ToLowerInvariant();

    /// <summary>The app on the session's own app origin (browsers open it through POST /v1/sessions/{id}/open/{app}).</summary>
    private static string ProxyUrl(string sessionId, string app, HttpRequest request)
        => $"{request.HttpContext.RequestServices.GetRequiredService<AppOrigins>().Origin(sessionId, request)}"
           + $"{request.PathBase}/v1/sessions/{sessionId}/apps/{Uri.EscapeDataString(app)}/";
}

/// <summary>One status change, or (app set) an app of the running session becoming ready or failing, as sent on the
/// SSE stream (the SSE id is the sequence; the SSE event type is "status" or "app").</summary>
public sealed record SessionEventResponse(long Sequence, string Status, string? Reason, DateTimeOffset At, AppStateResponse? App)
{
    public static SessionEventResponse From(SessionEvent e) => new(e.Sequence, SessionResponse.StatusName(e.Status), e.Reason, e.At,
        e.App is { } app ? new AppStateResponse(app.Name, AppResponse.StateName(app.State)) : null);
}

public sealed record AppStateResponse(string Name, string State);

/// <summary>SSH/SFTP access: save privateKey as id_container (mode 0600), then ssh -i id_container -p port user@host.</summary>
public sealed record SshResponse(string Host, int Port, string User, string PrivateKey);
