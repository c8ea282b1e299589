using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Granary.GatewayTests;

/// <summary>
/// The gateway in all-in-one mode (in-process silo with both roles and the simulated agent), with an admin key
/// and three configured users. Each factory gets its own data directory.
/// </summary>
public sealed class GatewayFactory : WebApplicationFactory<Program>
{
    public const string AdminKey = "test-admin-key-0123456789abcdef";
    public const string AliceKey = "alice-key-0123456789abcdef";
    public const string BobKey = "bob-key-0123456789abcdef";

    /// <summary>Only the validation tests create (or try to create) sessions as carol, so her list is theirs.</summary>
    public const string CarolKey = "carol-key-0123456789abcdef";

    private readonly bool _withAdminKey;
    private readonly bool _ownsDataDirectory;
    private readonly IReadOnlyDictionary<string, string?> _cluster;
    private bool _onKestrel;
    private Action<IServiceCollection>? _services;

    public GatewayFactory() : this(withAdminKey: true, dataDirectory: null, TestCluster.Settings())
    {
    }

    private GatewayFactory(bool withAdminKey, string? dataDirectory, IReadOnlyDictionary<string, string?> cluster)
    {
        _withAdminKey = withAdminKey;
        _cluster = cluster;
        _ownsDataDirectory = dataDirectory is null;
        DataDirectory = dataDirectory ?? Path.Combine(Path.GetTempPath(), "granary-gateway-tests-" + Guid.NewGuid().ToString("N"));
    }

    /// <summary>A factory with no configured admin key (so one is generated), keeping its state in dataDirectory.</summary>
    public static GatewayFactory WithGeneratedAdminKey(string dataDirectory)
        => new(withAdminKey: false, dataDirectory, TestCluster.Settings());

    /// <summary>A gateway on a real Kestrel server (for WebSockets through the app proxy), started.</summary>
    public static GatewayFactory OnKestrel(IReadOnlyDictionary<string, string?>? extra = null)
    {
        var factory = new GatewayFactory(withAdminKey: true, dataDirectory: null, TestCluster.Settings().Concat(extra ?? new Dictionary<string, string?>()).ToDictionary());
        factory.UseKestrel(0);
        factory._onKestrel = true;
        factory.StartServer();
        return factory;
    }

    /// <summary>A gateway in client mode: no silo of its own, it joins the cluster whose silo gateway port is given.</summary>
    public static GatewayFactory ClientOf(int siloGatewayPort) => new(withAdminKey: true, dataDirectory: null, new Dictionary<string, string?>
    {
        ["Granary:Clustering"] = "localhost",
        ["Granary:GatewayPort"] = siloGatewayPort.ToString(),
    });

    /// <summary>The all-in-one with some cluster settings changed (e.g. no agent role).</summary>
    public static GatewayFactory AllInOneWith(IReadOnlyDictionary<string, string?> overrides)
        => new(withAdminKey: true, dataDirectory: null, TestCluster.Settings().Concat(overrides)
            .GroupBy(s => s.Key).ToDictionary(g => g.Key, g => g.Last().Value));

    /// <summary>A second gateway on this factory's cluster (this one's all-in-one silo), as another machine's would be.</summary>
    public GatewayFactory SecondGateway() => ClientOf(int.Parse(_cluster["Granary:GatewayPort"]!));

    /// <summary>An all-in-one gateway of its own with extra settings (e.g. a tight rate limit).</summary>
    public static GatewayFactory WithSettings(IReadOnlyDictionary<string, string?> extra)
        => new(withAdminKey: true, dataDirectory: null, TestCluster.Settings().Concat(extra).ToDictionary());

    /// <summary>An all-in-one gateway of its own whose services are changed after its own (e.g. a faulty runtime).</summary>
    public static GatewayFactory WithServices(Action<IServiceCollection> services)
        => new(withAdminKey: true, dataDirectory: null, TestCluster.Settings()) { _services = services };

    public string DataDirectory { get; }

    /// <summary>Log records of the audit category (admin access to other users' sessions).</summary>
    public CapturedLogs Audit { get; } = new(Granary.Gateway.Browser.AppAccess.AuditCategory);

    /// <summary>Errors and critical records of every category (unhandled exceptions among them).</summary>
    public CapturedLogs Errors { get; } = new(category: null, LogLevel.Error);

    /// <summary>A client that behaves like a browser's fetch: no key, cookies only as the test sets them, no redirects.</summary>
    public HttpClient Browser()
    {
        var options = new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false };
        if (_onKestrel)
        {
            options.BaseAddress = new Uri(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        }

        return CreateClient(options);
    }

    public HttpClient ClientWithKey(string? key)
    {
        // Redirects are asserted, not followed (HttpClient would drop the Authorization header on the way).
        var options = new WebApplicationFactoryClientOptions { AllowAutoRedirect = false };
        if (_onKestrel)
        {
            options.BaseAddress = new Uri(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        }

        var client = CreateClient(options);
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureLogging(logging => logging.AddProvider(Audit).AddProvider(Errors));
        if (_services is not null)
        {
            builder.ConfigureTestServices(_services);
        }
        var settings = new Dictionary<string, string?>
        {
            ["Granary:Gateway:Mode"] = _cluster.ContainsKey("Granary:Roles") ? "all-in-one" : "client",
            ["Granary:DataDirectory"] = DataDirectory,
            ["Granary:Folders:Root"] = Path.Combine(DataDirectory, "folders"),
            ["Granary:Gateway:EventPollInterval"] = "00:00:00.050",
            ["Granary:Gateway:ActivityFlushInterval"] = "00:00:00.200",
            ["Granary:Auth:Users:0:Name"] = "alice",
            ["Granary:Auth:Users:0:Key"] = AliceKey,
            ["Granary:Auth:Users:1:Name"] = "bob",
            ["Granary:Auth:Users:1:Key"] = BobKey,
            ["Granary:Auth:Users:2:Name"] = "carol",
            ["Granary:Auth:Users:2:Key"] = CarolKey,
            // The shared process serves every test class in turn, some of which send hundreds of requests a second
            // with one key; RateLimitTests sets its own limits to test them.
            ["Granary:RateLimit:PermitsPerSecond"] = "1000000",
            ["Granary:RateLimit:Burst"] = "1000000",
        };
        if (_withAdminKey)
        {
            settings["Granary:Auth:AdminKey"] = AdminKey;
        }

        foreach (var (key, value) in settings.Concat(_cluster))
        {
            builder.UseSetting(key, value);
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && _ownsDataDirectory && Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }
}

/// <summary>All gateway tests share one all-in-one process: they run one class at a time.</summary>
[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFactory>
{
    public const string Name = "gateway";
}
