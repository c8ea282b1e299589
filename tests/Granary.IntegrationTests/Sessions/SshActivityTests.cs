using System.Net.Sockets;
using Granary.Policies;
using Granary.Sessions;

namespace Granary.IntegrationTests.Sessions;

/// <summary>An established SSH connection counts as use of a session for its resource policy's idleTimeout: the
/// agent reads the container's TCP table.</summary>
[Collection(DockerCollection.Name)]
public sealed class SshActivityTests
{
    // Long enough for sshd to come up in the container on a loaded machine before the session counts as idle.
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task An_ssh_connection_keeps_an_idle_limited_session_running_and_after_it_closes_the_session_ends()
    {
        var settings = GranaryCluster.DockerAgent(DockerFixture.Endpoint());
        settings["Granary:Agent:SshProbeInterval"] = "00:00:00.500";
        await using var cluster = await GranaryCluster.Start("ssh-idle", settings);
        try
        {
            var session = await Session.Create(cluster.Client,
                Session.Spec(memoryBytes: 512 * Session.MiB) with { Policy = new ResourcePolicy("ssh-idle", IdleTimeout: IdleTimeout) });
            var running = await Session.WaitFor(session, SessionStatus.Running, SessionStatus.Error);
            Assert.True(running.Status == SessionStatus.Running, running.StatusReason);
            var ssh = running.Apps.Single(a => a.Name == "ssh");

            using (var connection = await ConnectToSshd(session, ssh.Host, ssh.Port))
            {
                await Task.Delay(IdleTimeout + TimeSpan.FromSeconds(4));
                var used = (await session.Get())!;
                Assert.True(used.Status == SessionStatus.Running, $"{used.Status}: {used.StatusReason}");
            }

            var ended = await Session.WaitFor(session, SessionStatus.Terminated, SessionStatus.Error);
            Assert.Equal(SessionStatus.Terminated, ended.Status);
            Assert.Contains("idleTimeout", ended.StatusReason);
        }
        finally
        {
            await GranaryCluster.RemoveContainersOf(cluster.NodeId);
        }
    }

    /// <summary>A TCP connection on which sshd has sent its banner (it starts a little after the container).</summary>
    private static async Task<TcpClient> ConnectToSshd(ISessionGrain session, string host, int port)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var view = (await session.Get())!;
            Assert.True(view.Status == SessionStatus.Running, $"the session ended before sshd answered: {view.StatusReason}");
            var client = new TcpClient();
            try
            {
                await client.ConnectAsync(host, port);
                var banner = new byte[64];
                using var read = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                if (await client.GetStream().ReadAsync(banner, read.Token) > 0)
                {
                    return client;
                }
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException && DateTime.UtcNow < deadline)
            {
                // sshd is not listening yet.
            }

            client.Dispose();
            Assert.True(DateTime.UtcNow < deadline, "sshd never answered");
            await Task.Delay(250);
        }
    }
}
