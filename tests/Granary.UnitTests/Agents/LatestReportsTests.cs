using Granary.Agents;
using Granary.Sessions;

namespace Granary.UnitTests.Agents;

/// <summary>What an agent posts again to a session that asks to start again: its latest status first (so the
/// session runs before it hears of its apps), the latest word on each app, nothing once the session ended here.</summary>
public sealed class LatestReportsTests
{
    private static RuntimeReport App(string name, AppState state) => new(SessionStatus.Running, App: new AppReadiness(name, state));

    [Fact]
    public void Keeps_the_latest_status_first_then_the_latest_report_of_each_app()
    {
        var latest = new LatestReports();
        latest.Remember("s", new RuntimeReport(SessionStatus.Preparing));
        latest.Remember("s", App("jupyter", AppState.Starting));
        latest.Remember("s", new RuntimeReport(SessionStatus.Running, ContainerId: "c1"));
        latest.Remember("s", App("ssh", AppState.Ready));
        latest.Remember("s", App("jupyter", AppState.Ready));

        var again = latest.Of("s");

        Assert.Equal(new RuntimeReport(SessionStatus.Running, ContainerId: "c1"), again[0]);
        Assert.Equal([App("ssh", AppState.Ready), App("jupyter", AppState.Ready)], again.Skip(1));
        Assert.Empty(latest.Of("other"));
    }

    [Fact]
    public void A_final_status_or_a_freed_session_is_not_kept()
    {
        var latest = new LatestReports();
        latest.Remember("ended", new RuntimeReport(SessionStatus.Running));
        latest.Remember("ended", App("jupyter", AppState.Ready));
        latest.Remember("ended", new RuntimeReport(SessionStatus.Error, "exited 1", ExitCode: 1));
        latest.Remember("freed", new RuntimeReport(SessionStatus.Running));
        latest.Forget("freed");

        Assert.Empty(latest.Of("ended"));
        Assert.Empty(latest.Of("freed"));
        Assert.Equal(0, latest.Count);
    }
}
