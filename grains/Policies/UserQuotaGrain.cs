using System.Collections.Immutable;
using Granary.Sessions;
using Granary.SiloPlacement;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Granary.Policies;

/// <summary>
/// One user's admissions (key: user id), decided one at a time by <see cref="QuotaLedger"/>.
/// A session reserves here before it is created and releases when it ends, so concurrent creates cannot overshoot
/// a limit. Queued sessions are told one-way when they are admitted (see IUserQuotaGrain for the call graph); a
/// queued session also asks again now and then, which covers a lost notice.
/// Reentrant so that a user's burst of creates shares state writes (group commit, see StateWriter) instead of
/// waiting for one database write each in turn: every turn decides and changes the state before its first await,
/// so decisions are still made one at a time on a consistent view, and each caller's answer waits for a write that
/// holds its change. The state's collections are immutable, so a write serializing it off the grain's thread never
/// sees a later turn's change half made.
/// While it holds admissions of sessions that have not started, or queues sessions, it asks each of them now and
/// then to check its admission (one-way): a manager that dies in the middle of a create can leave a session stored
/// but neither queued nor listed, or an admission whose session was never stored, and nothing else would ever
/// activate that session again. Its activation puts the first back on its way; the second gives the admission back.
/// </summary>
[ManagerPlacement, Reentrant]
public sealed class UserQuotaGrain(
    [PersistentState("quota", GranaryStorage.Name)] IPersistentState<UserQuotaState> state,
    IOptions<QuotaOptions> options) : Grain, IUserQuotaGrain
{
    private StateWriter? _writer;
    private IGrainTimer? _checks;

    private UserQuotaState S => state.State;
    private StateWriter Writer => _writer ??= new StateWriter(state.WriteStateAsync);

    /// <summary>Sessions admitted and not started, and those queued.</summary>
    private IEnumerable<string> Waiting =>
        S.Held.Where(h => !h.Value.Started).Select(h => h.Key).Concat(S.Queue.Select(q => q.SessionId));

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Waiting.Any())
        {
            CheckWaitingSessions();
        }
        return Task.CompletedTask;
    }

    public async Task<Admission> Admit(QuotaRequest request)
    {
        if (S.Held.ContainsKey(request.SessionId))
        {
            return Admission.Admitted;
        }
        if (S.Queue.FirstOrDefault(q => q.SessionId == request.SessionId) is { } queued)
        {
            return new Admission(AdmissionOutcome.Queued, QuotaLedger.Exceeded(S.Held, queued), "waiting for the resource policy");
        }

        var admission = QuotaLedger.Decide(S.Held, S.Queue, request);
        switch (admission.Outcome)
        {
            case AdmissionOutcome.Admitted:
                S.Held = S.Held.SetItem(request.SessionId, new QuotaHold(request.Resources, Started: false));
                break;
            case AdmissionOutcome.Queued:
                S.Queue = S.Queue.Add(request);
                break;
            default:
                return admission;
        }
        CheckWaitingSessions();
        await Writer.Write();
        return admission;
    }

    public async Task Started(string sessionId)
    {
        if (S.Held.TryGetValue(sessionId, out var hold) && !hold.Started)
        {
            S.Held = S.Held.SetItem(sessionId, hold with { Started = true });
            await Writer.Write();
        }
    }

    public async Task Release(string sessionId)
    {
        var before = (S.Held, S.Queue);
        S.Held = S.Held.Remove(sessionId);
        S.Queue = S.Queue.RemoveAll(q => q.SessionId == sessionId);
        var admitted = new List<string>();
        while (!S.Queue.IsEmpty && QuotaLedger.Exceeded(S.Held, S.Queue[0]) is null)
        {
            var next = S.Queue[0];
            S.Queue = S.Queue.RemoveAt(0);
            S.Held = S.Held.SetItem(next.SessionId, new QuotaHold(next.Resources, Started: false));
            admitted.Add(next.SessionId);
        }
        if (before == (S.Held, S.Queue))
        {
            return;
        }
        await Writer.Write();
        foreach (var next in admitted)
        {
            // One-way: this grain never waits for a session (sessions wait for it).
            _ = GrainFactory.Ref<ISessionGrain>(next).QuotaAdmitted();
        }
    }

    /// <summary>Started when a session begins waiting (not by scanning every hold on each admission); stops when
    /// none waits.</summary>
    private void CheckWaitingSessions()
    {
        var interval = options.Value.CheckInterval;
        _checks ??= this.RegisterGrainTimer(async _ =>
        {
            var waiting = Waiting.ToArray();
            if (waiting.Length == 0)
            {
                _checks?.Dispose();
                _checks = null;
                return;
            }
            var owner = this.GetPrimaryKeyString();
            // One-way: this grain never waits for a session (sessions wait for it).
            await Task.WhenAll(waiting.Select(id => GrainFactory.Ref<ISessionGrain>(id).CheckAdmission(owner)));
        }, new GrainTimerCreationOptions(interval, interval) { KeepAlive = true });
    }

    public Task<QuotaUsage> Usage()
    {
        var total = QuotaLedger.Total(S.Held.Values.Select(h => h.Resources));
        return Task.FromResult(new QuotaUsage(S.Held.Count, S.Held.Values.Count(h => !h.Started), S.Queue.Count,
            total.CpuMilli, total.MemoryBytes, total.Gpus, total.FgpuMilli));
    }
}

/// <summary>Immutable collections: storing the state shares them instead of copying.</summary>
[GenerateSerializer]
public sealed class UserQuotaState
{
    /// <summary>Admitted live sessions by id.</summary>
    [Id(0)] public ImmutableDictionary<string, QuotaHold> Held { get; set; } = ImmutableDictionary<string, QuotaHold>.Empty;

    /// <summary>Sessions waiting for the policy, oldest first.</summary>
    [Id(1)] public ImmutableList<QuotaRequest> Queue { get; set; } = [];
}
