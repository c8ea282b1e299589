using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Granary.Cli;
using Granary.GatewayTests;

namespace Granary.CliTests;

/// <summary>Every verb of the granary CLI against a live all-in-one (simulated agent): tables, --json, exit codes.</summary>
[Collection(GatewayCollection.Name)]
public sealed class CliTests(GatewayFactory factory) : IDisposable
{
    private readonly Cli _cli = new(factory);

    [Fact]
    public async Task Login_stores_url_and_key_readable_by_the_owner_only_and_me_answers()
    {
        await _cli.Login(GatewayFactory.AliceKey);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_cli.ConfigPath));
        var stored = JsonDocument.Parse(await File.ReadAllTextAsync(_cli.ConfigPath)).RootElement;
        Assert.Equal(GatewayFactory.AliceKey, stored.GetProperty("key").GetString());
        Assert.Equal("alice", (await _cli.Run("me", "--json")).Json().GetProperty("name").GetString());
        Assert.Contains("alice", (await _cli.Run("me")).AssertExit(ExitCodes.Ok).Out);
    }

    [Fact]
    public async Task Exit_codes_say_what_failed()
    {
        (await _cli.Run("session", "list")).AssertExit(ExitCodes.Auth); // not signed in
        (await _cli.Run("login", "--url", "http://localhost", "--key", "not-a-key-0123456789")).AssertExit(ExitCodes.Auth);
        Assert.False(File.Exists(_cli.ConfigPath), "a refused key was stored");
        (await _cli.Run("no-such-verb")).AssertExit(ExitCodes.Usage);
        (await _cli.Run("session", "create")).AssertExit(ExitCodes.Usage); // --image missing

        await _cli.Login(GatewayFactory.AliceKey);
        (await _cli.Run("session", "info", "s-doesnotexist")).AssertExit(ExitCodes.NotFound);
        var invalid = (await _cli.Run("session", "create", "--image", "python:3.11", "--memory", "lots")).AssertExit(ExitCodes.Usage);
        Assert.Contains("resources.memory", invalid.Error);
        (await _cli.Run("agent", "list")).AssertExit(ExitCodes.Auth); // admins only
        (await _cli.Run("user", "list")).AssertExit(ExitCodes.Auth);
    }

    [Fact]
    public async Task A_server_error_or_an_unreachable_server_is_exit_code_5()
    {
        await _cli.Login(GatewayFactory.AliceKey);
        using var failing = new FailingServer("""{"title":"An error occurred","status":500,"detail":"the cluster did not answer"}""");
        var failed = (await _cli.RunWith(failing, "session", "list")).AssertExit(ExitCodes.Server);
        Assert.Contains("500", failed.Error);
        Assert.Contains("the cluster did not answer", failed.Error);

        // A port nothing listens on (handed out by the OS, then closed), over the real network.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var elsewhere = new Cli(factory);
        var unreachable = (await elsewhere.RunWith(null, "login", "--url", $"http://127.0.0.1:{port}", "--key", GatewayFactory.AliceKey))
            .AssertExit(ExitCodes.Server);
        Assert.Contains("Cannot reach", unreachable.Error);
        Assert.False(File.Exists(elsewhere.ConfigPath), "login stored a key it could not check");
    }

    [Fact]
    public async Task A_create_whose_answer_was_lost_is_sent_again_with_its_key_and_names_one_session()
    {
        await _cli.Login(GatewayFactory.AliceKey);
        using var losing = new LosesFirstCreateAnswer(factory.Server.CreateHandler());
        var name = "cli-lost-" + Guid.NewGuid().ToString("N")[..8];

        var created = (await _cli.RunWith(losing, "session", "create", "--image", "python:3.11", "--name", name, "--no-wait", "--json")).Json();

        Assert.Equal(2, losing.Keys.Count);
        Assert.Matches("^[0-9a-f]{32}$", losing.Keys[0]);
        Assert.Equal(losing.Keys[0], losing.Keys[1]);
        var id = created.GetProperty("id").GetString()!;
        var named = (await _cli.Run("session", "list", "--json")).Json().EnumerateArray().Where(s => s.GetProperty("name").GetString() == name);
        Assert.Equal(id, Assert.Single(named).GetProperty("id").GetString());
        (await _cli.Run("session", "delete", id, "--wait")).AssertExit(ExitCodes.Ok);
    }

    [Fact]
    public async Task Session_verbs_create_to_ready_apps_then_list_info_apps_logs_delete_and_watch()
    {
        await _cli.Login(GatewayFactory.AliceKey);

        var table = (await _cli.Run("session", "create", "--image", "python:3.11", "--name", "cli-table", "--cpu", "1", "--memory", "1g"))
            .AssertExit(ExitCodes.Ok);
        Assert.Contains("PENDING", table.Out);
        Assert.Contains("RUNNING", table.Out);
        Assert.Contains("memory 1 GiB", table.Out);
        // The apps table at the end: each app with its state.
        Assert.Matches(@"jupyter\s+ready\s+http://", table.Out);
        Assert.Matches(@"ssh\s+ready\s+tcp://", table.Out);

        var created = (await _cli.Run("session", "create", "--image", "python:3.11", "--name", "cli-json", "--fgpu", "0.5", "--json")).Json();
        var id = created.GetProperty("id").GetString()!;
        Assert.Equal("RUNNING", created.GetProperty("status").GetString());
        Assert.All(created.GetProperty("apps").EnumerateArray(), a => Assert.Equal("ready", a.GetProperty("state").GetString()));

        var list = (await _cli.Run("session", "list", "--json")).Json();
        Assert.Contains(id, list.EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        Assert.Contains("cli-json", (await _cli.Run("session", "list")).AssertExit(ExitCodes.Ok).Out);
        Assert.Equal(id, (await _cli.Run("session", "info", id, "--json")).Json().GetProperty("id").GetString());
        Assert.Contains("RUNNING", (await _cli.Run("session", "info", id)).AssertExit(ExitCodes.Ok).Out);
        var apps = (await _cli.Run("session", "apps", id, "--json")).Json();
        Assert.Equal(["jupyter", "ssh", "terminal"], apps.EnumerateArray().Select(a => a.GetProperty("name").GetString()).Order());
        Assert.Contains("ready", (await _cli.Run("session", "apps", id)).AssertExit(ExitCodes.Ok).Out);
        (await _cli.Run("session", "logs", id, "--tail", "10")).AssertExit(ExitCodes.Ok);

        var deleted = (await _cli.Run("session", "delete", id, "--wait", "--json")).Json();
        Assert.Equal("TERMINATED", deleted.GetProperty("status").GetString());
        var watched = (await _cli.Run("session", "watch", id, "--json")).AssertExit(ExitCodes.Ok).Out
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal("PENDING", watched[0].GetProperty("data").GetProperty("status").GetString());
        Assert.Equal("TERMINATED", watched[^1].GetProperty("data").GetProperty("status").GetString());
        Assert.Contains(watched, e => e.GetProperty("type").GetString() == "app");
        Assert.Contains("TERMINATED", (await _cli.Run("session", "watch", id)).AssertExit(ExitCodes.Ok).Out);
    }

    [Fact]
    public async Task Session_ssh_runs_ssh_with_the_sessions_key_in_a_0600_file_removed_afterwards()
    {
        await _cli.Login(GatewayFactory.AliceKey);
        var id = (await _cli.Run("session", "create", "--image", "python:3.11", "--json")).Json().GetProperty("id").GetString()!;
        var record = Path.Combine(_cli.Home, "ssh-args");
        var fakeSsh = Path.Combine(_cli.Home, "fake-ssh");
        await File.WriteAllTextAsync(fakeSsh, $"#!/bin/sh\nprintf '%s\\n' \"$@\" > {record}\nstat -c %a \"$2\" >> {record}\nhead -c 35 \"$2\" >> {record}\nexit 7\n");
        File.SetUnixFileMode(fakeSsh, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _cli.Environment["GRANARY_SSH"] = fakeSsh;

        var run = await _cli.Run("session", "ssh", id, "--", "echo", "hi");

        run.AssertExit(7); // ssh's own exit code
        var lines = await File.ReadAllLinesAsync(record);
        Assert.Equal("-i", lines[0]);
        Assert.False(File.Exists(lines[1]), "the key file was left behind");
        Assert.Contains("work@127.0.0.1", lines);
        Assert.Equal(["echo", "hi"], lines.SkipWhile(l => l != "work@127.0.0.1").Skip(1).Take(2));
        Assert.Contains("600", lines);
        Assert.Contains(lines, l => l.StartsWith("-----BEGIN", StringComparison.Ordinal));
        (await _cli.Run("session", "delete", id, "--wait")).AssertExit(ExitCodes.Ok);
    }

    [Fact]
    public async Task Folder_and_image_verbs()
    {
        await _cli.Login(GatewayFactory.BobKey);
        Assert.Equal("cli-data", (await _cli.Run("folder", "create", "cli-data", "--json")).Json().GetProperty("name").GetString());
        Assert.Contains("cli-data", (await _cli.Run("folder", "list", "--json")).Json().EnumerateArray().Select(f => f.GetProperty("name").GetString()));
        Assert.Contains("cli-data", (await _cli.Run("folder", "list")).AssertExit(ExitCodes.Ok).Out);
        (await _cli.Run("folder", "delete", "cli-data")).AssertExit(ExitCodes.Ok);
        (await _cli.Run("folder", "delete", "cli-data")).AssertExit(ExitCodes.NotFound);

        var images = (await _cli.Run("image", "list", "--json")).Json();
        Assert.Contains("python", images.EnumerateArray().Select(e => e.GetProperty("environment").GetString()));
        Assert.Contains("python:3.11", (await _cli.Run("image", "list")).AssertExit(ExitCodes.Ok).Out);
    }

    [Fact]
    public async Task Admin_verbs_agents_and_users()
    {
        await _cli.Login(GatewayFactory.AdminKey);
        var agents = (await _cli.Run("agent", "list", "--json")).Json();
        Assert.Contains(TestCluster.NodeId, agents.EnumerateArray().Select(a => a.GetProperty("id").GetString()));
        Assert.Matches($@"{TestCluster.NodeId}\s.*\s\d+ [KMGT]?i?B/32 GiB\s", (await _cli.Run("agent", "list")).AssertExit(ExitCodes.Ok).Out);

        var user = (await _cli.Run("user", "create", "cli-dave", "--json")).Json();
        Assert.Equal("cli-dave", user.GetProperty("name").GetString());
        Assert.False(string.IsNullOrEmpty(user.GetProperty("key").GetString()));
        Assert.Contains("cli-dave", (await _cli.Run("user", "list", "--json")).Json().EnumerateArray().Select(u => u.GetProperty("name").GetString()));
        Assert.Contains("cli-dave", (await _cli.Run("user", "list")).AssertExit(ExitCodes.Ok).Out);
        (await _cli.Run("user", "create", "cli-erin", "--role", "root")).AssertExit(ExitCodes.Usage);
        (await _cli.Run("user", "delete", "cli-dave")).AssertExit(ExitCodes.Ok);
        (await _cli.Run("user", "delete", "cli-dave")).AssertExit(ExitCodes.NotFound);
    }

    [Fact]
    public async Task Key_verbs_for_self_and_as_admin_for_another_user_print_the_secret_once()
    {
        await _cli.Login(GatewayFactory.AdminKey);
        var name = "cli-keys-" + Guid.NewGuid().ToString("N")[..8];
        var userKey = (await _cli.Run("user", "create", name, "--json")).Json().GetProperty("key").GetString()!;
        using var user = new Cli(factory);
        await user.Login(userKey);

        var created = (await user.Run("key", "create", "laptop", "--expires", "30d", "--json")).Json();
        var (id, secret) = (created.GetProperty("id").GetString()!, created.GetProperty("key").GetString()!);
        Assert.Equal("laptop", created.GetProperty("name").GetString());
        var expiresAt = created.GetProperty("expiresAt").GetDateTimeOffset();
        Assert.InRange(expiresAt, DateTimeOffset.UtcNow.AddDays(30).AddHours(-1), DateTimeOffset.UtcNow.AddDays(30).AddHours(1));
        var table = (await user.Run("key", "create", "ci runner")).AssertExit(ExitCodes.Ok).Out;
        Assert.Matches(@"key\s+gra_\S{20,}", table);
        Assert.Contains("shown only this once", table);

        var listed = (await user.Run("key", "list", "--json")).Json();
        Assert.Equal(["ci runner", "default", "laptop"], listed.EnumerateArray().Select(k => k.GetProperty("name").GetString()).Order());
        Assert.DoesNotContain(secret, listed.ToString());
        var listTable = (await user.Run("key", "list")).AssertExit(ExitCodes.Ok).Out;
        Assert.Matches($@"{id}\s+laptop\s+\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\dZ", listTable);
        Assert.DoesNotContain("gra_", listTable);

        // The new key signs in; deleted, it is refused with the next request.
        using var withNewKey = new Cli(factory);
        await withNewKey.Login(secret);
        Assert.Equal(name, (await withNewKey.Run("me", "--json")).Json().GetProperty("name").GetString());

        // From the attacker's side: another user can neither reach these keys through --user nor delete one by id.
        using var bob = new Cli(factory);
        await bob.Login(GatewayFactory.BobKey);
        (await bob.Run("key", "list", "--user", name)).AssertExit(ExitCodes.Auth);
        (await bob.Run("key", "delete", id, "--user", name)).AssertExit(ExitCodes.Auth);
        (await bob.Run("key", "create", "stolen", "--user", name)).AssertExit(ExitCodes.Auth);
        (await bob.Run("key", "delete", id)).AssertExit(ExitCodes.NotFound);
        (await withNewKey.Run("me")).AssertExit(ExitCodes.Ok);

        (await user.Run("key", "delete", id)).AssertExit(ExitCodes.Ok);
        (await withNewKey.Run("me")).AssertExit(ExitCodes.Auth);
        (await user.Run("key", "delete", id)).AssertExit(ExitCodes.NotFound);
        (await user.Run("key", "create", "x", "--expires", "soon")).AssertExit(ExitCodes.Usage);
        Assert.Contains("expiresAt", (await user.Run("key", "create", "x", "--expires", "2020-01-01")).AssertExit(ExitCodes.Usage).Error);

        // The admin manages the user's keys with --user.
        var byAdmin = (await _cli.Run("key", "create", "by admin", "--user", name, "--json")).Json();
        var byAdminId = byAdmin.GetProperty("id").GetString()!;
        Assert.Contains(byAdminId, (await user.Run("key", "list", "--json")).Json().EnumerateArray().Select(k => k.GetProperty("id").GetString()));
        Assert.Contains("by admin", (await _cli.Run("key", "list", "--user", name)).AssertExit(ExitCodes.Ok).Out);
        (await _cli.Run("key", "delete", byAdminId, "--user", name)).AssertExit(ExitCodes.Ok);
        Assert.DoesNotContain(byAdminId, (await _cli.Run("key", "list", "--user", name, "--json")).Json().EnumerateArray().Select(k => k.GetProperty("id").GetString()));
        (await _cli.Run("key", "delete", byAdminId, "--user", name)).AssertExit(ExitCodes.NotFound);
        (await _cli.Run("key", "list", "--user", "cli-no-such-user")).AssertExit(ExitCodes.NotFound);

        (await _cli.Run("user", "delete", name)).AssertExit(ExitCodes.Ok);
    }

    public void Dispose() => _cli.Dispose();

    /// <summary>Passes every request to the test server, keeps each create's Idempotency-Key, and answers the first
    /// create 503 once the server has stored its session (its answer lost while a manager restarts).</summary>
    private sealed class LosesFirstCreateAnswer(HttpMessageHandler server) : DelegatingHandler(server)
    {
        public List<string?> Keys { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.Method != HttpMethod.Post || request.RequestUri!.AbsolutePath != "/v1/sessions")
            {
                return response;
            }
            Keys.Add(request.Headers.TryGetValues("Idempotency-Key", out var keys) ? keys.Single() : null);
            if (Keys.Count > 1)
            {
                return response;
            }
            response.Dispose();
            var lost = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)
            {
                Content = new StringContent("""{"title":"Service Unavailable","status":503}""", Encoding.UTF8, "application/problem+json"),
            };
            lost.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(1));
            return lost;
        }
    }

    /// <summary>A gateway whose every answer is a 500 problem.</summary>
    private sealed class FailingServer(string problem) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.InternalServerError)
            {
                Content = new StringContent(problem, Encoding.UTF8, "application/problem+json"),
            });
    }
}
