using System.Text;
using Granary.Agents.Runtime;

namespace Granary.IntegrationTests;

/// <summary>The Docker driver's terminal (an exec with a TTY) on a running granary/python:3.11 container,
/// attached the way the agent attaches it: to the tmux session "main" as user work.</summary>
[Collection(DockerCollection.Name)]
public sealed class DockerTerminalTests(DockerFixture fixture) : IAsyncLifetime
{
    private static readonly string[] Tmux = ["tmux", "new-session", "-A", "-s", "main"];
    private string _containerId = "";

    public async Task InitializeAsync()
    {
        var spec = fixture.Spec("terminal", DockerFixture.PythonImage) with { MemoryBytes = 512L * 1024 * 1024 };
        _containerId = await fixture.Runtime.Create(spec, CancellationToken.None);
        await fixture.Runtime.Start(_containerId, CancellationToken.None);
    }

    public async Task DisposeAsync() => await fixture.Runtime.Remove(_containerId, CancellationToken.None);

    [Fact]
    public async Task A_command_typed_in_the_terminal_prints_its_output()
    {
        await using var terminal = await Open();
        var output = TerminalOutput.Of(terminal);
        await output.WaitForTmux();

        await Type(terminal, "echo $((6*7))\r");

        await output.WaitFor("42");
    }

    [Fact]
    public async Task Reconnecting_returns_to_the_same_tmux_session_and_shell()
    {
        var mark = Guid.NewGuid().ToString("N")[..8];
        var first = await Open();
        var firstOutput = TerminalOutput.Of(first);
        await firstOutput.WaitForTmux();
        await Type(first, $"MARK=first-{mark}; echo set-$((1+1))\r");
        await firstOutput.WaitFor("set-2");

        await first.DisposeAsync();
        await firstOutput.WaitForEnd(); // hanging up ends the tmux client, and with it the output

        await using var second = await Open();
        var secondOutput = TerminalOutput.Of(second);
        await secondOutput.WaitForTmux();
        await Type(second, "echo \"mark:$MARK\"\r");

        await secondOutput.WaitFor($"mark:first-{mark}"); // the same shell, with the variable the first connection set
        var (exitCode, listing) = await fixture.Exec(_containerId, "work", "sh", "-c", "tmux list-sessions -F '#S'; tmux list-clients -F 'client'");
        Assert.Equal(0, exitCode);
        Assert.Equal("main\nclient\n", listing); // one session, and only the second connection attached to it
    }

    [Fact]
    public async Task Resizing_changes_the_size_the_shell_sees()
    {
        await using var terminal = await Open(columns: 80, rows: 24);
        var output = TerminalOutput.Of(terminal);
        await output.WaitForTmux();
        await Type(terminal, "stty size\r");
        await output.WaitFor("23 80"); // tmux keeps the last row for its status line

        await terminal.Resize(132, 43, CancellationToken.None);

        await output.RepeatUntil(() => Type(terminal, "stty size\r"), "42 132");
    }

    [Fact]
    public async Task The_terminal_runs_as_work_in_its_home_with_a_capable_term()
    {
        await using var terminal = await fixture.Runtime.OpenTerminal(
            _containerId, ["sh", "-c", "echo \"$(whoami) $(pwd) $TERM\"; test -t 0 && echo tty"], "work", 80, 24, CancellationToken.None);
        var output = TerminalOutput.Of(terminal);

        await output.WaitForEnd(); // the command ended: so does the terminal

        Assert.Contains("work /home/work xterm-256color", output.Text);
        Assert.Contains("tty", output.Text);
    }

    [Fact]
    public async Task A_command_that_ends_at_once_still_opens_and_shows_its_output()
    {
        // The size is set after the exec starts; a command that has already ended then has no TTY left to size
        // (CI met this once on the test above). Twenty tries make the race likely.
        for (var i = 0; i < 20; i++)
        {
            await using var terminal = await fixture.Runtime.OpenTerminal(_containerId, ["echo", $"done-{i}"], "work", 80, 24, CancellationToken.None);
            var output = TerminalOutput.Of(terminal);
            await output.WaitForEnd();
            Assert.Contains($"done-{i}", output.Text);
        }
    }

    [Fact]
    public async Task Closing_a_terminal_whose_container_is_gone_is_quiet()
    {
        var spec = fixture.Spec("terminal-gone", DockerFixture.BaseImage, ["sleep", "600"]);
        var id = await fixture.Runtime.Create(spec, CancellationToken.None);
        await fixture.Runtime.Start(id, CancellationToken.None);
        var terminal = await fixture.Runtime.OpenTerminal(id, ["sh"], "work", 80, 24, CancellationToken.None);
        var output = TerminalOutput.Of(terminal);

        await fixture.Runtime.Remove(id, CancellationToken.None);
        await output.WaitForEnd();

        await terminal.DisposeAsync();
    }

    private Task<IContainerTerminal> Open(int columns = 100, int rows = 30)
        => fixture.Runtime.OpenTerminal(_containerId, Tmux, "work", columns, rows, CancellationToken.None);

    private static async Task Type(IContainerTerminal terminal, string text)
        => await terminal.Write(Encoding.UTF8.GetBytes(text), CancellationToken.None);
}
