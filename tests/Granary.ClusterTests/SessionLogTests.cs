using System.Collections.Concurrent;
using System.Text.Json;
using Granary.Sessions;
using Granary.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Orleans.TestingHost;

namespace Granary.ClusterTests;

/// <summary>
/// With Granary:Logging:Json on, a silo's console lines are JSON, and every line about a session (the session
/// grain's, the scheduler's, its agent's) carries SessionId, Node and Owner. A silo of its own (both roles, one
/// node): its log lines are written by the console formatter that setting chose, into memory instead of stdout.
/// </summary>
public sealed class SessionLogTests : IAsyncLifetime
{
    private const string Node = "logs-a";
    private const string Group = "logs";
    private readonly ConcurrentQueue<string> _lines = new();
    private InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSiloHost((_, host) =>
        {
            host.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                [GranaryLogging.JsonKey] = "true",
                ["Granary:Roles"] = "manager,agent",
                ["Granary:Agent:HeartbeatInterval"] = "00:00:01",
                ["Granary:Scheduler:Interval"] = "00:00:01",
                ["Granary:Agent:Simulated:ImageLabels:granary.apps"] = "terminal:exec,jupyter:http:8888",
                ["Granary:Agent:Nodes:0:Id"] = Node,
                ["Granary:Agent:Nodes:0:ResourceGroup"] = Group,
                ["Granary:Agent:Nodes:0:CpuCores"] = "4",
                ["Granary:Agent:Nodes:0:Memory"] = "8g",
            });
            host.Logging.AddGranaryConsole(host.Configuration);
            host.Services.AddSingleton<ILoggerProvider>(sp => new FormattedLines(sp, _lines));
            host.UseOrleans(silo => silo.AddGranary(host.Configuration));
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Every_line_about_a_session_carries_its_id_node_and_owner_as_json_fields()
    {
        var owner = "u-logs-" + Guid.NewGuid().ToString("N")[..8];
        var session = await Sessions.Create(_cluster.Client, Sessions.Spec(Group, owner: owner));
        var id = session.GetPrimaryKeyString();
        await Eventually.True(async () => (await session.Get())!.Apps is { Length: > 0 } apps && apps.All(a => a.State == AppState.Ready),
            "the session runs with its apps ready");
        await session.Terminate(force: false);
        await Sessions.WaitFor(session, SessionStatus.Terminated);

        var about = await Eventually.Value(() => Task.FromResult(LinesAbout(id)),
            lines => lines.Any(l => l.Category.EndsWith("AgentGrain", StringComparison.Ordinal) && l.Message.Contains("stopping", StringComparison.Ordinal)),
            "the agent's lines about the session are logged");

        foreach (var line in about)
        {
            var fields = line.Scopes.Where(s => s.TryGetProperty("SessionId", out _)).ToList();
            Assert.True(fields.Count > 0, $"no session fields on: {line.Json}");
            Assert.All(fields, f =>
            {
                Assert.Equal(id, f.GetProperty("SessionId").GetString());
                Assert.Equal(owner, f.GetProperty("Owner").GetString());
                // Only the line of its creation comes before the session has a node.
                var node = f.GetProperty("Node");
                Assert.True(node.ValueKind == JsonValueKind.String ? node.GetString() == Node : line.Message.Contains("is Pending", StringComparison.Ordinal),
                    $"Node {node} on: {line.Json}");
            });
        }
        var sessionLines = about.Where(l => l.Category == "Granary.Sessions.SessionGrain").Select(l => l.Message).ToList();
        Assert.Contains(sessionLines, m => m.Contains("is Pending: waiting", StringComparison.Ordinal));
        Assert.Contains(sessionLines, m => m.EndsWith($"is Running on {Node}", StringComparison.Ordinal));
        Assert.Contains(sessionLines, m => m.Contains("app jupyter is Ready", StringComparison.Ordinal));
        Assert.Contains(sessionLines, m => m.Contains("is Terminated", StringComparison.Ordinal));
        // The steps between (and a stop someone asked for) are Debug; no line ends in a missing reason.
        Assert.DoesNotContain(sessionLines, m => m.Contains("is Scheduled", StringComparison.Ordinal)
            || m.Contains("is Preparing", StringComparison.Ordinal) || m.Contains("is Terminating", StringComparison.Ordinal)
            || m.Contains("(null)", StringComparison.Ordinal));
        Assert.Contains(about, l => l.Category == "Granary.Agents.AgentGrain" && l.Message.Contains("runs in container", StringComparison.Ordinal));
    }

    /// <summary>The JSON lines whose message names the session.</summary>
    private List<LogLine> LinesAbout(string sessionId) =>
        _lines.Select(LogLine.Parse).Where(l => l.Message.Contains(sessionId, StringComparison.Ordinal)).ToList();

    private sealed record LogLine(string Json, string Category, string Message, IReadOnlyList<JsonElement> Scopes)
    {
        public static LogLine Parse(string json)
        {
            var line = JsonDocument.Parse(json).RootElement.Clone();
            var scopes = line.TryGetProperty(nameof(Scopes), out var s) ? s.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object).ToArray() : [];
            return new LogLine(json, line.GetProperty(nameof(Category)).GetString()!, line.GetProperty(nameof(Message)).GetString()!, scopes);
        }
    }

    /// <summary>Formats each line with the console formatter the configuration chose (as the console logger does)
    /// and keeps it; fails loudly when that formatter is not JSON.</summary>
    private sealed class FormattedLines(IServiceProvider services, ConcurrentQueue<string> lines) : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider? _scopes;
        private ConsoleFormatter? _formatter;

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private ConsoleFormatter Formatter => _formatter ??= Choose();

        private void Add(string line) => lines.Enqueue(line);

        private ConsoleFormatter Choose()
        {
            var name = services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName;
            Assert.Equal(ConsoleFormatterNames.Json, name);
            return services.GetServices<ConsoleFormatter>().Single(f => f.Name == name);
        }

        private sealed class Logger(FormattedLines provider, string category) : ILogger
        {
            // The logger factory keeps the scopes (this provider takes them as an external scope provider).
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (!IsEnabled(logLevel))
                {
                    return;
                }
                using var writer = new StringWriter();
                provider.Formatter.Write(new LogEntry<TState>(logLevel, category, eventId, state, exception, formatter), provider._scopes, writer);
                provider.Add(writer.ToString().TrimEnd());
            }
        }
    }
}
