using System.Collections.Concurrent;
using System.Threading.Channels;
using Granary.Agents;
using Granary.Sessions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Granary.UnitTests.Agents;

/// <summary>How an agent's reports reach its sessions: a failed delivery is retried after a pause on the agent's
/// clock, and a deactivating agent (its silo stopping) tries once more and gives up instead of holding up the stop.
/// The clock here stands still unless a test moves it, so nothing waits on real time.</summary>
public sealed class ReportOutboxTests
{
    // Guards against a hang only: every wait below ends at once when the outbox behaves.
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly Channel<string> _attempts = Channel.CreateUnbounded<string>();
    private readonly ConcurrentQueue<SessionStatus> _delivered = new();
    private int _tries;

    private ReportOutbox Outbox(int failures)
    {
        var outbox = new ReportOutbox("node-1", (session, reports) =>
        {
            var fail = Interlocked.Increment(ref _tries) <= failures;
            _attempts.Writer.TryWrite(session);
            if (fail)
            {
                return Task.FromException(new InvalidOperationException("the session's manager is gone"));
            }
            foreach (var report in reports)
            {
                _delivered.Enqueue(report.Status);
            }
            return Task.CompletedTask;
        }, _clock, NullLogger.Instance);
        outbox.Start();
        return outbox;
    }

    private async Task NextAttempt() => await _attempts.Reader.ReadAsync().AsTask().WaitAsync(Hang);

    /// <summary>Moves the clock in small steps until the next attempt comes, and says how far it moved. Steps, not
    /// one jump: the outbox starts its pause only after the failed attempt returns, so a jump could come first and
    /// leave the pause waiting on a clock that never moves again.</summary>
    private async Task<TimeSpan> ClockTimeUntilNextAttempt()
    {
        var next = _attempts.Reader.ReadAsync().AsTask();
        var moved = TimeSpan.Zero;
        var giveUp = DateTime.UtcNow + Hang;
        while (await Task.WhenAny(next, Task.Delay(TimeSpan.FromMilliseconds(20))) != next)
        {
            Assert.True(DateTime.UtcNow < giveUp, "no attempt came however far the clock moved");
            _clock.Advance(TimeSpan.FromMilliseconds(50));
            moved += TimeSpan.FromMilliseconds(50);
        }
        await next;
        return moved;
    }

    [Fact]
    public async Task A_failed_delivery_is_retried_after_a_pause_and_arrives_in_order()
    {
        var outbox = Outbox(failures: 1);
        outbox.Post("s1", "alice", new RuntimeReport(SessionStatus.Pulling));
        await NextAttempt();
        Assert.Empty(_delivered);

        Assert.True(await ClockTimeUntilNextAttempt() >= TimeSpan.FromMilliseconds(200), "the retry came before its pause");
        outbox.Post("s1", "alice", new RuntimeReport(SessionStatus.Running));
        await outbox.Drain().WaitAsync(Hang);

        Assert.Equal([SessionStatus.Pulling, SessionStatus.Running], _delivered);
    }

    [Fact]
    public async Task Draining_tries_a_failing_delivery_once_more_and_gives_up_without_waiting_out_its_patience()
    {
        var outbox = Outbox(failures: int.MaxValue);
        outbox.Post("s1", "alice", new RuntimeReport(SessionStatus.Pulling));
        await NextAttempt();

        await outbox.Drain().WaitAsync(Hang);

        Assert.Equal(2, _tries);
        Assert.Empty(_delivered);
    }
}
