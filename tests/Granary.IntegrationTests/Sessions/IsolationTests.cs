using System.Net;
using System.Net.Sockets;
using Docker.DotNet.Models;
using Granary.Agents.Launch;
using Granary.Folders;
using Granary.Sessions;
using Granary.Silo.Adapters.Docker;

namespace Granary.IntegrationTests.Sessions;

/// <summary>
/// The paths between users and out of a session, tried from the attacker's side: code running in alice's real
/// container reaching for bob's Jupyter, for the node's control-plane ports, and for root through a folder.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class IsolationTests(DockerFixture docker, SessionClusterFixture fixture) : IClassFixture<SessionClusterFixture>
{
    private const int PostgresPort = 55432;
    private GranaryCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task From_alices_session_bobs_jupyter_is_closed_by_address_and_by_published_port()
    {
        var (alice, aliceView) = await Running(Session.Spec(cpuMilli: 500, memoryBytes: 768 * Session.MiB));
        var (bob, bobView) = await Running(Session.Spec(cpuMilli: 500, memoryBytes: 768 * Session.MiB) with { Owner = "bob" });
        try
        {
            var bobAddress = await ContainerAddress(bobView.ContainerId!);
            var aliceGateway = await NetworkGateway(aliceView.ContainerId!);
            var bobJupyter = bobView.Apps.Single(a => a.Name == "jupyter");
            var bobSsh = bobView.Apps.Single(a => a.Name == "ssh");
            await WaitForJupyter(bobView);

            // Bob's Jupyter and sshd, at his container's address and at every published port through alice's way out
            // to the host (her bridge's gateway address).
            var probes = await Probe(aliceView.ContainerId!,
                (bobAddress, 8888), (bobAddress, 2200), (aliceGateway, bobJupyter.Port), (aliceGateway, bobSsh.Port));

            Assert.All(probes, probe => Assert.NotEqual("open", probe.Result));

            // And where the port is reachable (the gateway's side, on the node), it answers nothing without the secret.
            using var http = new HttpClient();
            var url = $"http://{bobJupyter.Host}:{bobJupyter.Port}{ImageApps.BaseUrl(bobView.Id, "jupyter")}api/kernels";
            Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync(url)).StatusCode);
            using var start = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent("{}") };
            Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(start)).StatusCode);
        }
        finally
        {
            await Session.Delete(alice);
            await Session.Delete(bob);
        }
    }

    [Fact]
    public async Task From_a_session_the_nodes_control_plane_ports_are_closed()
    {
        // Stands for a silo or gateway port bound to every address (what listenOnAnyHostAddress did): the host
        // reaches it on the bridge's address, a session must not.
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        var controlPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        var (session, view) = await Running(Session.Spec(DockerFixture.BaseImage, cpuMilli: 500, memoryBytes: 256 * Session.MiB));
        try
        {
            var gateway = await NetworkGateway(view.ContainerId!);
            using (var fromHost = new TcpClient())
            {
                await fromHost.ConnectAsync(gateway, controlPort);
                Assert.True(fromHost.Connected, "the host reaches the listener on the bridge's address");
            }

            var probes = await ProbeWithBash(view.ContainerId!,
                (gateway, controlPort), (gateway, PostgresPort), (gateway, 11111), (gateway, 30000), (gateway, 2375));

            Assert.All(probes, probe => Assert.NotEqual("open", probe.Result));
            var (_, socket) = await docker.Exec(view.ContainerId!, "work", "sh", "-c",
                "ls /var/run/docker.sock /run/docker.sock 2>&1; ls /var/lib/granary 2>&1; true");
            Assert.DoesNotContain("docker.sock\n", socket.Replace("No such file or directory", ""));
        }
        finally
        {
            await Session.Delete(session);
        }
    }

    [Fact]
    public async Task A_setuid_root_file_written_into_a_folder_has_no_effect_in_the_session_or_on_the_host()
    {
        var folder = $"f{Guid.NewGuid():N}"[..12];
        await Cluster.Client.GetGrain<IFolderGrain>(FolderKey.Of(Session.Owner, folder)).Create();
        // The python image: its start script keeps CHOWN, which the attacker's root uses.
        var (session, view) = await Running(Session.Spec(cpuMilli: 500, memoryBytes: 768 * Session.MiB,
            mounts: [new MountSpec(folder, $"/home/work/{folder}", ReadOnly: false)]));
        var path = $"/home/work/{folder}/rootsh";
        try
        {
            // The attacker has root in the container (say, through a hole in the image): a root-owned, setuid copy
            // of bash goes into the folder.
            // (Without DAC_OVERRIDE, root cannot even look into work's folder unless work opens it.)
            Succeeded(await docker.Exec(view.ContainerId!, "work", "sh", "-c", $"cp /bin/bash {path} && chmod 0777 /home/work/{folder}"));
            Succeeded(await docker.Exec(view.ContainerId!, "root", "sh", "-c", $"chown root:root {path} && chmod 4755 {path}"));
            var onHost = Path.Combine(Cluster.FolderRoot, Session.Owner, folder, "rootsh");
            Assert.Equal($"4755 {docker.RootOnHost.Uid}", Tool.Run("stat", ["-c", "%a %u", onHost]).EnsureSuccess().Output.Trim());

            var (_, mounts) = await docker.Exec(view.ContainerId!, "work", "grep", $" /home/work/{folder} ", "/proc/mounts");
            Assert.Contains("nosuid", mounts);
            Assert.Contains("nodev", mounts);
            var (_, inside) = await docker.Exec(view.ContainerId!, "work", path, "-p", "-c", "id -u; id -g");
            Assert.Equal("1000\n1000\n", inside);

            // On the host an unprivileged user runs it: nosuid, so it stays that user.
            var onHostRun = Tool.Run("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", onHost, "-p", "-c", "id -u"]);
            Assert.Equal("65534\n", onHostRun.Output);
        }
        finally
        {
            await Session.Delete(session);
        }
    }

    [Fact]
    public async Task A_session_network_is_its_own_and_goes_with_the_session()
    {
        var (session, view) = await Running(Session.Spec(DockerFixture.BaseImage, cpuMilli: 500, memoryBytes: 256 * Session.MiB));
        var network = Assert.Single(await docker.SessionNetworks(view.Id));
        var bridge = network.Options["com.docker.network.bridge.name"];
        Assert.StartsWith(SessionFirewall.BridgePrefix, bridge);
        Assert.Equal("false", network.Options["com.docker.network.bridge.enable_icc"]);
        Assert.True(Directory.Exists($"/sys/class/net/{bridge}"), $"bridge {bridge} exists while the session runs");
        var rules = Tool.Run("iptables", ["-S"]).EnsureSuccess().Output;
        Assert.Contains($"-A INPUT -i {SessionFirewall.BridgePrefix}+ -j {SessionFirewall.HostChain}", rules);
        Assert.Contains($"-i {SessionFirewall.BridgePrefix}+ -j {SessionFirewall.ForwardChain}", rules);

        await Session.Delete(session);

        Assert.Empty(await docker.SessionNetworks(view.Id));
        Assert.False(Directory.Exists($"/sys/class/net/{bridge}"), $"bridge {bridge} is gone with the session");
    }

    [Fact]
    public async Task Installing_the_firewall_twice_leaves_one_set_of_rules()
    {
        var firewall = new SessionFirewall(new DockerRuntimeOptions());
        await firewall.WithRules(() => Task.FromResult(0));
        await firewall.WithRules(() => Task.FromResult(0));

        var rules = Tool.Run("iptables", ["-S"]).EnsureSuccess().Output.Split('\n');
        Assert.Single(rules, r => r == $"-A INPUT -i {SessionFirewall.BridgePrefix}+ -j {SessionFirewall.HostChain}");
        Assert.Single(rules, r => r.EndsWith($"-i {SessionFirewall.BridgePrefix}+ -j {SessionFirewall.ForwardChain}", StringComparison.Ordinal));
        Assert.Single(rules, r => r == $"-A {SessionFirewall.HostChain} -j REJECT --reject-with icmp-port-unreachable");
    }

    [Fact]
    public async Task An_unlabelled_image_is_neither_offered_nor_run()
    {
        var reference = $"granary-it/unlabelled:{docker.RunId}";
        var tar = Path.Combine(Path.GetTempPath(), $"granary-it-{docker.RunId}.tar");
        var content = Directory.CreateTempSubdirectory("granary-it-image-").FullName;
        await File.WriteAllTextAsync(Path.Combine(content, "hello"), "hi");
        Tool.Run("tar", ["-C", content, "-cf", tar, "."]).EnsureSuccess();
        Tool.Run("docker", ["-H", docker.Runtime.Endpoint.ToString(), "import", tar, reference]).EnsureSuccess();
        try
        {
            Assert.NotNull(await docker.Docker.Images.InspectImageAsync(reference));
            Assert.DoesNotContain(reference, (await docker.Runtime.ListImages(CancellationToken.None)).Select(i => i.Reference));

            var refused = await Assert.ThrowsAsync<ContainerRuntimeException>(
                () => docker.Runtime.Create(docker.Spec("unlabelled", reference, ["true"]), CancellationToken.None));
            Assert.Contains("is not a Granary image", refused.Message);
            Assert.Empty(await docker.Runtime.List(new Dictionary<string, string> { ["granary.test"] = "unlabelled" }, CancellationToken.None));
        }
        finally
        {
            await docker.Docker.Images.DeleteImageAsync(reference, new ImageDeleteParameters { Force = true });
            File.Delete(tar);
            Directory.Delete(content, recursive: true);
        }
    }

    private async Task<(ISessionGrain Session, SessionView View)> Running(SessionSpec spec)
    {
        var session = await Session.Create(Cluster.Client, spec);
        var view = await Session.WaitFor(session, SessionStatus.Running, SessionStatus.Error, SessionStatus.Terminated);
        Assert.True(view.Status == SessionStatus.Running, view.StatusReason);
        return (session, view);
    }

    private static async Task WaitForJupyter(SessionView view)
    {
        var jupyter = view.Apps.Single(a => a.Name == "jupyter");
        using var http = new HttpClient();
        await Eventually.True(async () =>
        {
            try
            {
                var response = await http.GetAsync($"http://{jupyter.Host}:{jupyter.Port}{ImageApps.BaseUrl(view.Id, "jupyter")}api");
                return response.StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, "bob's Jupyter answers");
    }

    private async Task<string> ContainerAddress(string containerId)
        => (await docker.Docker.Containers.InspectContainerAsync(containerId)).NetworkSettings!.Networks.Values.Single().IPAddress;

    private async Task<string> NetworkGateway(string containerId)
        => (await docker.Docker.Containers.InspectContainerAsync(containerId)).NetworkSettings!.Networks.Values.Single().Gateway;

    /// <summary>Tries each TCP endpoint from inside the container with Python (3 s each): open, refused, timeout.</summary>
    private async Task<IReadOnlyList<(string Host, int Port, string Result)>> Probe(string containerId, params (string Host, int Port)[] targets)
    {
        var script = """
            import socket, sys
            for target in sys.argv[1:]:
                host, port = target.rsplit(":", 1)
                s = socket.socket(); s.settimeout(3)
                try:
                    s.connect((host, int(port))); result = "open"
                except ConnectionRefusedError:
                    result = "refused"
                except socket.timeout:
                    result = "timeout"
                except OSError as e:
                    result = "error-%d" % e.errno
                print(target, result)
            """;
        var (exit, output) = await docker.Exec(containerId, "work", ["python3", "-c", script, .. targets.Select(t => $"{t.Host}:{t.Port}")]);
        return Parse(exit, output, targets.Length);
    }

    /// <summary>The same with bash's /dev/tcp (images without Python).</summary>
    private async Task<IReadOnlyList<(string Host, int Port, string Result)>> ProbeWithBash(string containerId, params (string Host, int Port)[] targets)
    {
        var script = """
            for target in "$@"; do
              if timeout 3 bash -c "exec 3<>/dev/tcp/${target%:*}/${target##*:}" 2>/dev/null; then echo "$target open"
              else echo "$target closed-$?"; fi
            done
            """;
        var (exit, output) = await docker.Exec(containerId, "work", ["bash", "-c", script, "probe", .. targets.Select(t => $"{t.Host}:{t.Port}")]);
        return Parse(exit, output, targets.Length);
    }

    private static void Succeeded((long ExitCode, string Output) exec) => Assert.True(exec.ExitCode == 0, exec.Output);

    private static List<(string Host, int Port, string Result)> Parse(long exit, string output, int expected)
    {
        Assert.True(exit == 0, output);
        var results = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' '))
            .Select(parts => (Host: parts[0].Split(':')[0], Port: int.Parse(parts[0].Split(':')[1]), Result: parts[1]))
            .ToList();
        Assert.Equal(expected, results.Count);
        return results;
    }
}
