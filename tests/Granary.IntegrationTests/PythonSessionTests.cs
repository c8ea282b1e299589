using System.Net;
using System.Text.Json;
using Granary.Agents.Launch;
using Granary.Agents.Runtime;

namespace Granary.IntegrationTests;

/// <summary>A granary/python:3.11 interactive session set up the way the agent does it: the image's apps
/// published, their base URLs in the environment, the session key authorized for work and its private key
/// at /home/work/id_container.</summary>
[Collection(DockerCollection.Name)]
public sealed class PythonSessionTests(DockerFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan ServiceDeadline = TimeSpan.FromMinutes(2);
    private readonly string _sessionId = $"it-{Guid.NewGuid():N}"[..16];
    private readonly SshKeyPair _key = SshKeyPair.Generate("granary-it");
    private readonly string _appSecret = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    private readonly string _scratch = Directory.CreateTempSubdirectory("granary-it-ssh-").FullName;
    private string _containerId = "";
    private ContainerInfo _info = null!;

    public async Task InitializeAsync()
    {
        var image = await fixture.Runtime.FindImage(DockerFixture.PythonImage, CancellationToken.None)
            ?? throw new InvalidOperationException($"{DockerFixture.PythonImage} is missing");
        var apps = ImageApps.Parse(image.Labels);
        var spec = fixture.Spec("python-session", DockerFixture.PythonImage) with
        {
            CpuMilli = 1000,
            MemoryBytes = 1024L * 1024 * 1024,
            Env = ImageApps.Environment(apps, _sessionId),
            PublishedPorts = ImageApps.Ports(apps),
            Files =
            [
                new ContainerFile("/home/work/.ssh/authorized_keys", _key.PublicKey + "\n", 0b110_000_000, 1000, 1000),
                new ContainerFile("/home/work/id_container", _key.PrivateKey, 0b110_000_000, 1000, 1000),
                new ContainerFile(ImageApps.AppSecretPath, _appSecret, 0b100_000_000, 0, 0),
            ],
        };
        _containerId = await fixture.Runtime.Create(spec, CancellationToken.None);
        await fixture.Runtime.Start(_containerId, CancellationToken.None);
        _info = await fixture.Runtime.Inspect(_containerId, CancellationToken.None)
            ?? throw new InvalidOperationException("the session container vanished");
    }

    public async Task DisposeAsync()
    {
        await fixture.Runtime.Remove(_containerId, CancellationToken.None);
        Directory.Delete(_scratch, recursive: true);
    }

    [Fact]
    public async Task The_session_key_logs_in_with_ssh_and_sftp_transfers_files()
    {
        var keyFile = Path.Combine(_scratch, "id_container");
        await File.WriteAllTextAsync(keyFile, _key.PrivateKey);
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var port = _info.Ports[2200].ToString();
        string[] options =
        [
            "-i", keyFile, "-P", port,
            "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=5",
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
        ];
        string[] Ssh(string command) => [.. options.Select(o => o == "-P" ? "-p" : o), "work@127.0.0.1", command];

        var login = await Eventually(() => Tool.Run("ssh", Ssh("echo hi; whoami; head -n 1 ~/id_container")), r => r.ExitCode == 0);
        Assert.Equal("hi\nwork\n-----BEGIN EC PRIVATE KEY-----\n", login.Output);

        var upload = Path.Combine(_scratch, "upload.txt");
        var download = Path.Combine(_scratch, "download.txt");
        var content = $"granary {Guid.NewGuid()}\n";
        await File.WriteAllTextAsync(upload, content);
        var batch = Path.Combine(_scratch, "sftp-batch");
        await File.WriteAllTextAsync(batch, $"put {upload} /home/work/uploaded.txt\nget /home/work/uploaded.txt {download}\n");

        Tool.Run("sftp", [.. options, "-b", batch, "work@127.0.0.1"]).EnsureSuccess();

        Assert.Equal(content, await File.ReadAllTextAsync(download));
        Assert.Equal(content, Tool.Run("ssh", Ssh("cat /home/work/uploaded.txt")).EnsureSuccess().Output);
    }

    [Fact]
    public async Task A_key_that_is_not_the_sessions_is_refused()
    {
        var otherKey = SshKeyPair.Generate("stranger");
        var keyFile = Path.Combine(_scratch, "stranger");
        await File.WriteAllTextAsync(keyFile, otherKey.PrivateKey);
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        string[] Ssh(string key) =>
        [
            "-i", key, "-p", _info.Ports[2200].ToString(),
            "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=5",
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
            "work@127.0.0.1", "true",
        ];

        // Wait until sshd answers at all (with the right key), then try the stranger's.
        var sessionKey = Path.Combine(_scratch, "session-key");
        await File.WriteAllTextAsync(sessionKey, _key.PrivateKey);
        File.SetUnixFileMode(sessionKey, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await Eventually(() => Tool.Run("ssh", Ssh(sessionKey)), r => r.ExitCode == 0);

        var refused = Tool.Run("ssh", Ssh(keyFile));

        Assert.Equal(255, refused.ExitCode);
        Assert.Contains("Permission denied", refused.Error);
    }

    [Fact]
    public async Task Jupyter_answers_under_its_proxied_base_url_and_runs_code_in_a_kernel()
    {
        var baseUrl = ImageApps.BaseUrl(_sessionId, "jupyter");
        var origin = new Uri($"http://127.0.0.1:{_info.Ports[8888]}");
        var cookies = new CookieContainer();
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = origin };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("token", _appSecret);

        var tree = await Eventually(
            async () => await http.GetAsync($"{baseUrl}tree"),
            response => response.StatusCode == HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, tree.StatusCode);
        Assert.Contains("Jupyter", await tree.Content.ReadAsStringAsync());
        Assert.Contains("\"python3\"", await http.GetStringAsync($"{baseUrl}api/kernelspecs"));

        // The root is not served: the gateway proxies exactly the base URL.
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/tree")).StatusCode);

        // Start a kernel as the notebook page does (XSRF cookie echoed in a header), then run a cell.
        var xsrf = cookies.GetCookies(origin)["_xsrf"]?.Value ?? throw new InvalidOperationException("no _xsrf cookie");
        using var start = new HttpRequestMessage(HttpMethod.Post, $"{baseUrl}api/kernels")
        {
            Content = new StringContent("""{"name":"python3"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        start.Headers.Add("X-XSRFToken", xsrf);
        var started = await http.SendAsync(start);
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        var kernelId = JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();

        var output = await JupyterKernel.Execute(
            new Uri($"ws://{origin.Authority}{baseUrl}api/kernels/{kernelId}/channels"), "print(6 * 7)", ServiceDeadline, _appSecret);

        Assert.Equal("42\n", output);
    }

    [Fact]
    public async Task Jupyter_at_the_published_port_refuses_whoever_lacks_the_app_secret()
    {
        var baseUrl = ImageApps.BaseUrl(_sessionId, "jupyter");
        var origin = new Uri($"http://127.0.0.1:{_info.Ports[8888]}");
        using var stranger = new HttpClient { BaseAddress = origin };
        using var wrong = new HttpClient { BaseAddress = origin };
        wrong.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("token", new string('0', 64));

        // Jupyter is up once the secret opens it; then neither no token nor a wrong one does.
        using var owner = new HttpClient { BaseAddress = origin };
        owner.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("token", _appSecret);
        var up = await Eventually(async () => await owner.GetAsync($"{baseUrl}api/kernels"), r => r.StatusCode == HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, up.StatusCode);

        Assert.Equal(HttpStatusCode.Forbidden, (await stranger.GetAsync($"{baseUrl}api/kernels")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await wrong.GetAsync($"{baseUrl}api/kernels")).StatusCode);
        using var start = new HttpRequestMessage(HttpMethod.Post, $"{baseUrl}api/kernels")
        {
            Content = new StringContent("""{"name":"python3"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        Assert.Equal(HttpStatusCode.Forbidden, (await stranger.SendAsync(start)).StatusCode);
        Assert.Equal("[]", await owner.GetStringAsync($"{baseUrl}api/kernels"));

        // The secret reached Jupyter but neither the logs nor the container's files or environment.
        var logs = await fixture.Runtime.Logs(_containerId, 1000, CancellationToken.None);
        Assert.DoesNotContain(_appSecret, logs);
        var (_, found) = await fixture.Exec(_containerId, "work", "sh", "-c", "cat /run/granary/app-token; env");
        Assert.DoesNotContain(_appSecret, found);
    }

    private static async Task<T> Eventually<T>(Func<T> attempt, Func<T, bool> done)
        => await Eventually(() => Task.FromResult(attempt()), done);

    /// <summary>Retries until done or the generous service deadline (services start in the background).</summary>
    private static async Task<T> Eventually<T>(Func<Task<T>> attempt, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow + ServiceDeadline;
        while (true)
        {
            T result;
            try
            {
                result = await attempt();
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
                continue;
            }
            if (done(result) || DateTime.UtcNow >= deadline)
                return result;
            await Task.Delay(500);
        }
    }
}
