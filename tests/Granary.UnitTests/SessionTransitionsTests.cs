using Granary.Sessions;
using static Granary.Sessions.SessionStatus;

namespace Granary.UnitTests;

public class SessionTransitionsTests
{
    public static TheoryData<SessionStatus, SessionStatus> Allowed => new()
    {
        { Pending, Scheduled }, { Pending, Cancelled }, { Pending, Error }, { Pending, Terminating },
        { Scheduled, Preparing }, { Scheduled, Pending }, { Scheduled, Terminating }, { Scheduled, Error },
        { Preparing, Pulling }, { Preparing, Running }, { Preparing, Terminating }, { Preparing, Error },
        { Pulling, Preparing }, { Pulling, Running }, { Pulling, Terminating }, { Pulling, Error },
        { Running, Terminating }, { Running, Terminated }, { Running, Error },
        { Terminating, Terminated }, { Terminating, Error },
    };

    [Theory]
    [MemberData(nameof(Allowed))]
    public void Allowed_transitions_pass(SessionStatus from, SessionStatus to)
    {
        Assert.True(SessionTransitions.IsAllowed(from, to));
        SessionTransitions.Ensure(from, to);
    }

    [Fact]
    public void Exactly_the_listed_transitions_are_allowed()
    {
        var allowed = Allowed.Select(row => ((SessionStatus)row[0], (SessionStatus)row[1])).ToHashSet();
        foreach (var from in Enum.GetValues<SessionStatus>())
            foreach (var to in Enum.GetValues<SessionStatus>())
                Assert.True(allowed.Contains((from, to)) == SessionTransitions.IsAllowed(from, to), $"{from} → {to}");
    }

    [Theory]
    [InlineData(Pending, Running)]
    [InlineData(Pending, Terminated)]
    [InlineData(Pending, Pending)]
    [InlineData(Scheduled, Running)]
    [InlineData(Scheduled, Cancelled)]
    [InlineData(Running, Pending)]
    [InlineData(Running, Preparing)]
    [InlineData(Running, Cancelled)]
    [InlineData(Terminating, Running)]
    [InlineData(Terminated, Running)]
    [InlineData(Terminated, Pending)]
    [InlineData(Error, Running)]
    [InlineData(Error, Terminating)]
    [InlineData(Cancelled, Scheduled)]
    public void Illegal_transitions_are_refused(SessionStatus from, SessionStatus to)
    {
        Assert.False(SessionTransitions.IsAllowed(from, to));
        var refused = Assert.Throws<InvalidSessionTransitionException>(() => SessionTransitions.Ensure(from, to));
        Assert.Equal(from, refused.From);
        Assert.Equal(to, refused.To);
    }

    [Fact]
    public void Terminated_error_and_cancelled_are_final_and_lead_nowhere()
    {
        var finals = Enum.GetValues<SessionStatus>().Where(SessionTransitions.IsFinal).ToArray();

        Assert.Equal([Terminated, Error, Cancelled], finals);
        foreach (var final in finals)
            Assert.All(Enum.GetValues<SessionStatus>(), to => Assert.False(SessionTransitions.IsAllowed(final, to)));
    }

    [Fact]
    public void Every_status_can_reach_a_final_status()
    {
        foreach (var status in Enum.GetValues<SessionStatus>().Where(s => !SessionTransitions.IsFinal(s)))
            Assert.True(SessionTransitions.IsAllowed(status, Error) || SessionTransitions.IsAllowed(status, Terminated), status.ToString());
    }
}
