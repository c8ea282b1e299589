using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Text.Json;
using Granary.Agents;
using Granary.Gateway.Auth;
using Granary.Gateway.Hosting;
using Granary.Gateway.Http;
using Granary.Policies;
using Granary.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Granary.Gateway.Sessions;

/// <summary>REST v1 sessions: create, list, get, delete, events (SSE), logs, apps. Another user's session is a 404.</summary>
public static class SessionsApi
{
    public const int DefaultLogLines = 1000;
    public const int MaxLogLines = 100_000;

    public static IEndpointRouteBuilder MapSessionsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/sessions").WithTags("Sessions").RequireAuthorization();
        group.MapPost("/", Create).Accepts<CreateSessionRequest>("application/json");
        group.MapGet("/", List);
        group.MapGet("/watch", Watch);
        group.MapGet("/{id}", Get);
        group.MapDelete("/{id}", Delete);
        group.MapGet("/{id}/events", Events);
        group.MapGet("/{id}/logs", Logs);
        group.MapGet("/{id}/apps", Apps);
        group.MapGet("/{id}/ssh", Ssh);
        return app;
    }

    public static async Task<Results<Created<SessionResponse>, ValidationProblem, ProblemHttpResult>> Create(
        HttpRequest request, ClaimsPrincipal user, IGrainFactory grains, ImageCatalogCache imageCatalog)
    {
        var body = await JsonRequestBody.Read<CreateSessionRequest>(request, GatewayServiceExtensions.RequestJson);
        if (!body.IsValid)
        {
            return Problems.Invalid(body.Errors);
        }

        var (spec, errors) = CreateSessionValidator.Validate(body.Value!, user.GetId(), user.GetName());
        var keys = request.Headers[IdempotencyKeys.Header];
        if (keys.Count > 1 || keys.Count == 1 && !IdempotencyKeys.IsValid(keys[0]!))
        {
            errors.Add(IdempotencyKeys.Header, IdempotencyKeys.Rule);
        }
        if (spec is null || !errors.IsEmpty)
        {
            return Problems.Invalid(errors.ToDictionary());
        }

        if (SchedulingRights.Refusal(user, spec) is { } refused)
        {
            return refused;
        }

        // What the request names must exist: the caller's folders, and an image some agent has (once any has reported).
        var unknown = await MissingFolders(grains, user, spec);
        var images = await imageCatalog.Including(spec.Image);
        if (images.Count > 0 && !images.Any(c => c.Image.Reference == spec.Image))
        {
            unknown.Add("image", $"No agent has the image \"{spec.Image}\". Available: {string.Join(", ", images.Select(c => c.Image.Reference))}.");
        }

        if (!unknown.IsEmpty)
        {
            return Problems.Invalid(unknown.ToDictionary());
        }

        var policyName = user.GetPolicyName();
        var policy = await grains.GetGrain<IPolicyDirectoryGrain>(IPolicyDirectoryGrain.Key).Get(policyName);
        if (policy is null && policyName != ResourcePolicy.DefaultName)
        {
            return Problems.Forbidden($"Your resource policy \"{policyName}\" is not defined; ask an admin.");
        }

        var id = keys.Count == 1 ? IdempotencyKeys.SessionId(user.GetId(), keys[0]!) : CreateSessionValidator.NewSessionId();
        try
        {
            var view = await grains.GetGrain<ISessionGrain>(id).Create(spec with { Policy = policy ?? ResourcePolicy.Unlimited });
            return TypedResults.Created($"/v1/sessions/{id}", SessionResponse.From(view, request));
        }
        catch (QuotaRefusedException refusal)
        {
            return Problems.OverLimit(refusal.Limit, refusal.Policy, refusal.Message);
        }
    }

    public static async Task<Results<Ok<SessionResponse[]>, ValidationProblem, ProblemHttpResult>> List(
        HttpRequest request, ClaimsPrincipal user, IGrainFactory grains, string? all, string? status)
    {
        if (!QueryValues.TryParseFlag(all, out var everyone))
        {
            return Problems.Invalid("all", "Must be true or false.");
        }

        if (everyone && !user.IsAdmin())
        {
            return Problems.Forbidden("Only admins can list every user's sessions.");
        }

        SessionStatus? wanted = null;
        if (!string.IsNullOrEmpty(status))
        {
            if (!TryParseStatus(status, out var parsed))
            {
                return Problems.Invalid("status", "Must be one of " + string.Join(", ", Enum.GetValues<SessionStatus>().Select(SessionResponse.StatusName)) + ".");
            }

            wanted = parsed;
        }

        var key = everyone ? ISessionIndexGrain.AllKey : user.GetId();
        var views = await grains.GetGrain<ISessionIndexGrain>(key).ListViews();
        return TypedResults.Ok(views
            .Where(v => wanted is null || v.Status == wanted)
            .OrderByDescending(v => v.CreatedAt)
            .Select(v => SessionResponse.From(v, request))
            .ToArray());
    }

    /// <summary>
    /// The caller's sessions (admins: ?all=true) as server-sent events: each as GET /v1/sessions/{id} shows it, first
    /// all of them ("session" events, then one "synced"), then each again whenever it changes. The web UI's list.
    /// </summary>
    public static Results<ServerSentEventsResult<object>, ValidationProblem, ProblemHttpResult> Watch(
        HttpContext context, ClaimsPrincipal user, IGrainFactory grains, IOptions<GatewayOptions> options, string? all)
    {
        if (!QueryValues.TryParseFlag(all, out var everyone))
        {
            return Problems.Invalid("all", "Must be true or false.");
        }

        if (everyone && !user.IsAdmin())
        {
            return Problems.Forbidden("Only admins can watch every user's sessions.");
        }

        var index = grains.GetGrain<ISessionIndexGrain>(everyone ? ISessionIndexGrain.AllKey : user.GetId());
        return TypedResults.ServerSentEvents(
            WatchStream(index, context.Request, options.Value.WatchInterval, context.RequestAborted));
    }

    private static async IAsyncEnumerable<SseItem<object>> WatchStream(
        ISessionIndexGrain index, HttpRequest request, TimeSpan interval,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var sent = new Dictionary<string, string>(StringComparer.Ordinal);
        var ended = new HashSet<string>(StringComparer.Ordinal); // final sessions never change again: not sent again
        var synced = false;
        while (true)
        {
            foreach (var view in (await index.ListViews()).Where(v => !ended.Contains(v.Id)).OrderBy(v => v.CreatedAt))
            {
                var session = SessionResponse.From(view, request);
                var json = JsonSerializer.Serialize(session);
                if (SessionTransitions.IsFinal(view.Status))
                {
                    ended.Add(view.Id);
                }

                if (!sent.TryGetValue(view.Id, out var before) || before != json)
                {
                    sent[view.Id] = json;
                    yield return new SseItem<object>(session, "session");
                }
            }

            if (!synced)
            {
                synced = true;
                yield return new SseItem<object>(new { sessions = sent.Count }, "synced");
            }

            await Task.Delay(interval, cancellationToken);
        }
    }

    public static async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> Get(
        string id, HttpRequest request, ClaimsPrincipal user, IGrainFactory grains)
    {
        var view = await FindVisible(grains, user, id);
        return view is null ? Problems.NotFound("session", id) : TypedResults.Ok(SessionResponse.From(view, request));
    }

    public static async Task<Results<Accepted<SessionResponse>, ValidationProblem, ProblemHttpResult>> Delete(
        string id, HttpRequest request, ClaimsPrincipal user, IGrainFactory grains, string? force)
    {
        if (!QueryValues.TryParseFlag(force, out var forced))
        {
            return Problems.Invalid("force", "Must be true or false.");
        }

        if (await FindVisible(grains, user, id) is null)
        {
            return Problems.NotFound("session", id);
        }

        var view = await grains.GetGrain<ISessionGrain>(id).Terminate(forced);
        return TypedResults.Accepted($"/v1/sessions/{id}", SessionResponse.From(view, request));
    }

    /// <summary>Status changes as server-sent events, id = sequence. Resumes after Last-Event-ID; ends at a final status.</summary>
    public static async Task<Results<ServerSentEventsResult<SessionEventResponse>, ValidationProblem, ProblemHttpResult>> Events(
        string id, HttpContext context, ClaimsPrincipal user, IGrainFactory grains, IOptions<GatewayOptions> options)
    {
        long after = 0;
        string? lastEventId = context.Request.Headers["Last-Event-ID"];
        if (!string.IsNullOrEmpty(lastEventId)
            && !long.TryParse(lastEventId, NumberStyles.None, CultureInfo.InvariantCulture, out after))
        {
            return Problems.Invalid("Last-Event-ID", "Must be the id (sequence number) of an event of this session.");
        }

        if (await FindVisible(grains, user, id) is null)
        {
            return Problems.NotFound("session", id);
        }

        var session = grains.GetGrain<ISessionGrain>(id);
        return TypedResults.ServerSentEvents(Stream(context.Response, session, after, options.Value.EventPollInterval, context.RequestAborted));
    }

    public static async Task<Results<ContentHttpResult, ValidationProblem, ProblemHttpResult>> Logs(
        string id, ClaimsPrincipal user, IGrainFactory grains, string? tail)
    {
        if (!QueryValues.TryParseInt(tail, DefaultLogLines, 1, MaxLogLines, out var lines))
        {
            return Problems.Invalid("tail", $"Must be a number of lines from 1 to {MaxLogLines}.");
        }

        if (await FindVisible(grains, user, id) is null)
        {
            return Problems.NotFound("session", id);
        }

        var logs = await grains.GetGrain<ISessionGrain>(id).GetLogs(lines);
        return TypedResults.Text(logs, "text/plain; charset=utf-8");
    }

    public static async Task<Results<Ok<AppResponse[]>, ProblemHttpResult>> Apps(
        string id, HttpRequest request, ClaimsPrincipal user, IGrainFactory grains)
    {
        var view = await FindVisible(grains, user, id);
        return view is null
            ? Problems.NotFound("session", id)
            : TypedResults.Ok(AppResponse.ListOf(view, request));
    }

    /// <summary>How to SSH/SFTP into the session with its own key (id_container). 409 while it has none to give.</summary>
    public static async Task<Results<Ok<SshResponse>, ProblemHttpResult>> Ssh(string id, ClaimsPrincipal user, IGrainFactory grains)
    {
        if (await FindVisible(grains, user, id) is null)
        {
            return Problems.NotFound("session", id);
        }

        var ssh = await grains.GetGrain<ISessionGrain>(id).GetSsh();
        return ssh is null
            ? Problems.Conflict("The session offers no SSH access: it is not running, or its image serves no ssh.")
            : TypedResults.Ok(new SshResponse(ssh.Host, ssh.Port, ssh.User, ssh.PrivateKey));
    }

    /// <summary>Mounts must name folders the caller has (POST /v1/folders), not conjure new ones.</summary>
    private static async Task<ValidationErrors> MissingFolders(IGrainFactory grains, ClaimsPrincipal user, SessionSpec spec)
    {
        var errors = new ValidationErrors();
        var folders = await Task.WhenAll(spec.Mounts.Select(m => Folders.FoldersApi.Folder(grains, user, m.Folder).Get()));
        for (var i = 0; i < folders.Length; i++)
        {
            if (folders[i] is null)
            {
                errors.Add($"mounts[{i}].folder", $"You have no folder \"{spec.Mounts[i].Folder}\"; create it with POST /v1/folders.");
            }
        }

        return errors;
    }

    /// <summary>The session when it exists and the caller owns it or is an admin; otherwise null (a 404 either way).</summary>
    public static async Task<SessionView?> FindVisible(IGrainFactory grains, ClaimsPrincipal user, string id)
    {
        if (!SessionIds.IsWellFormed(id))
        {
            return null;
        }

        var view = await grains.GetGrain<ISessionGrain>(id).Get();
        return view is not null && (user.IsAdmin() || view.Spec.Owner == user.GetId()) ? view : null;
    }

    private static async IAsyncEnumerable<SseItem<SessionEventResponse>> Stream(
        HttpResponse response, ISessionGrain session, long after, TimeSpan pollInterval, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The headers go out now, not with the first event: a client resuming after the newest event of a running
        // session (an EventSource reconnecting) would otherwise wait, unanswered, until the session next changes.
        await response.Body.FlushAsync(cancellationToken);
        while (true)
        {
            // Status first, then events: a final status read here has its event in the log read next.
            var view = await session.Get();
            var events = await session.GetEvents(after);
            foreach (var e in events)
            {
                yield return new SseItem<SessionEventResponse>(SessionEventResponse.From(e), e.App is null ? "status" : "app")
                {
                    EventId = e.Sequence.ToString(CultureInfo.InvariantCulture),
                };
                after = e.Sequence;
                if (SessionTransitions.IsFinal(e.Status))
                {
                    yield break;
                }
            }

            if (view is null || SessionTransitions.IsFinal(view.Status))
            {
                yield break;
            }

            await Task.Delay(pollInterval, cancellationToken);
        }
    }

    private static bool TryParseStatus(string text, out SessionStatus status)
    {
        status = default;
        return text.All(char.IsAsciiLetter) && Enum.TryParse(text, ignoreCase: true, out status);
    }
}
