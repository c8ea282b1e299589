using System.Text;
using Granary.Agents;
using Granary.Agents.Launch;
using Granary.Sessions;

namespace Granary.ClusterTests;

[Collection(ClusterCollection.Name)]
public sealed class SessionAccessTests(ClusterFixture fixture)
{
    [Fact]
    public async Task The_container_gets_limits_labels_app_environment_and_published_ports()
    {
        var session = await Sessions.Create(fixture.Client, Sessions.Spec("apps", cpuMilli: 1500, memoryBytes: 3 * Sessions.GiB, owner: "bob"));
        var running = await Sessions.WaitFor(session, SessionStatus.Running);

        var spec = fixture.RuntimeOf(ClusterFixture.AgentSiloA).SpecOf(running.ContainerId!);
        Assert.Equal(1500, spec.CpuMilli);
        Assert.Equal(3 * Sessions.GiB, spec.MemoryBytes);
        Assert.Equal(running.Id, spec.Labels[ContainerLabels.Session]);
        Assert.Equal("bob", spec.Labels[ContainerLabels.Owner]);
        Assert.Equal("apps-a", spec.Labels[ContainerLabels.Node]);
        Assert.Equal($"/v1/sessions/{running.Id}/apps/jupyter/", spec.Env["GRANARY_JUPYTER_BASE_URL"]);
        Assert.Equal([8888], spec.PublishedPorts);
        // The only file placed is the app secret, for root alone (the start script hands it to Jupyter).
        var secret = Assert.Single(spec.Files ?? []);
        Assert.Equal((ImageApps.AppSecretPath, 0b100_000_000, 0), (secret.Path, secret.Mode, secret.Uid));
        Assert.Equal("jupyter", Assert.Single(running.Apps).Name);
        Assert.Null(await session.GetSsh());

        await session.Terminate(force: false);
    }

    [Fact]
    public async Task A_session_whose_image_serves_ssh_gets_its_own_key_in_the_container_and_ssh_access()
    {
        var session = await Sessions.Create(fixture.Client, Sessions.Spec("apps", image: ClusterFixture.SshImage));
        var running = await Sessions.WaitFor(session, SessionStatus.Running);

        var ssh = await session.GetSsh();
        Assert.NotNull(ssh);
        var app = Assert.Single(running.Apps);
        Assert.Equal(("ssh", "tcp"), (app.Name, app.Protocol));
        Assert.Equal((app.Host, app.Port, "work"), (ssh.Host, ssh.Port, ssh.User));
        Assert.StartsWith("-----BEGIN EC PRIVATE KEY-----", ssh.PrivateKey);

        var files = fixture.RuntimeOf(ClusterFixture.AgentSiloA).SpecOf(running.ContainerId!).Files!;
        var privateKey = Assert.Single(files, f => f.Path == "/home/work/id_container");
        Assert.Equal(ssh.PrivateKey, privateKey.Content);
        Assert.Equal((Convert.ToInt32("600", 8), 1000, 1000), (privateKey.Mode, privateKey.Uid, privateKey.Gid));
        Assert.StartsWith("ecdsa-sha2-nistp256 ", Assert.Single(files, f => f.Path == "/home/work/.ssh/authorized_keys").Content);

        await session.Terminate(force: false);
        Assert.Null(await session.GetSsh());
    }

    [Fact]
    public async Task A_terminal_opened_through_the_agent_echoes_input_and_ends_when_closed()
    {
        var session = await Sessions.Create(fixture.Client, Sessions.Spec("apps"));
        var running = await Sessions.WaitFor(session, SessionStatus.Running);
        var agent = fixture.Agent(running.AgentId!);

        var terminalId = await agent.OpenTerminal(running.Id, 100, 30);
        var output = new StringBuilder();
        var reading = Task.Run(async () =>
        {
            await foreach (var chunk in agent.ReadTerminal(terminalId))
            {
                lock (output)
                {
                    output.Append(Encoding.UTF8.GetString(chunk));
                }
            }
        });
        await agent.ResizeTerminal(terminalId, 120, 40);
        await agent.WriteTerminal(terminalId, Encoding.UTF8.GetBytes("echo hello\r"));
        await Eventually.True(() => { lock (output) { return Task.FromResult(output.ToString().Contains("echo hello")); } },
            "the terminal echoes what was typed");
        Assert.Contains("tmux new-session -A -s main", output.ToString());

        await agent.CloseTerminal(terminalId);
        await reading.WaitAsync(Eventually.Deadline);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => agent.WriteTerminal(terminalId, [1]));
        await session.Terminate(force: false);
    }

    [Fact]
    public async Task The_image_catalog_lists_every_image_with_its_environment_apps_and_agents()
    {
        var catalog = await fixture.Client.GetGrain<IImageCatalogGrain>(IImageCatalogGrain.Key).List();

        var ssh = Assert.Single(catalog, c => c.Image.Reference == ClusterFixture.SshImage);
        Assert.Equal(("ssh-test", "1.0"), (ssh.Image.Environment, ssh.Image.Version));
        Assert.Equal([new ImageApp("terminal", "exec", 0), new ImageApp("ssh", "tcp", 2200)], ssh.Image.Apps);
        Assert.Equal(ClusterFixture.Nodes.Keys.Order(StringComparer.Ordinal), ssh.Agents);
        var python = Assert.Single(catalog, c => c.Image.Reference == "python:3.11");
        Assert.Equal(("python", "3.11"), (python.Image.Environment, python.Image.Version));
    }
}
