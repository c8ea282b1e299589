using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;

namespace Granary.Cli.Commands;

/// <summary>session create|list|info|logs|delete|apps|ssh|watch.</summary>
public static class SessionCommands
{
    private static readonly string[] FinalStatuses = ["TERMINATED", "ERROR", "CANCELLED"];

    public static Command Create(CliContext context)
    {
        return new Command("session", "Compute sessions")
        {
            CreateCommand(context), ListCommand(context), InfoCommand(context), LogsCommand(context),
            DeleteCommand(context), AppsCommand(context), SshCommand(context), WatchCommand(context),
        };
    }

    private static Command CreateCommand(CliContext context)
    {
        var image = new Option<string>("--image") { Description = "The image, e.g. granary/python:3.11 (granary image list)", Required = true };
        var name = new Option<string?>("--name") { Description = "A name for the session" };
        var cpu = new Option<decimal>("--cpu") { Description = "CPU cores", DefaultValueFactory = _ => 1 };
        var memory = new Option<string>("--memory") { Description = "Memory, e.g. 4g", DefaultValueFactory = _ => "1g" };
        var gpu = new Option<int?>("--gpu") { Description = "Whole GPUs" };
        var fgpu = new Option<decimal?>("--fgpu") { Description = "Fractional GPUs (fGPU units)" };
        var mounts = new Option<string[]>("--mount") { Description = "FOLDER[:PATH][:ro], repeatable" };
        var type = new Option<string?>("--type") { Description = "interactive or batch" };
        var group = new Option<string?>("--group") { Description = "Resource group" };
        var noWait = new Option<bool>("--no-wait") { Description = "Return once created, without waiting for RUNNING" };
        var command = new Argument<string[]>("command") { Description = "The command to run (batch), after --", Arity = ArgumentArity.ZeroOrMore };
        var create = new Command("create", "Create a session and follow it to RUNNING and ready apps")
        {
            image, name, cpu, memory, gpu, fgpu, mounts, type, group, noWait, command,
        };
        create.SetAction(CliApp.WithApi(context, async (api, parsed, json, ct) =>
        {
            var body = new Dictionary<string, object?>
            {
                ["name"] = parsed.GetValue(name),
                ["image"] = parsed.GetRequiredValue(image),
                ["resources"] = new Dictionary<string, object?>
                {
                    ["cpu"] = parsed.GetValue(cpu),
                    ["memory"] = parsed.GetValue(memory),
                    ["gpu"] = parsed.GetValue(gpu),
                    ["fgpu"] = parsed.GetValue(fgpu),
                },
                ["mounts"] = (parsed.GetValue(mounts) ?? []).Select(ParseMount).ToArray(),
                ["type"] = parsed.GetValue(type),
                ["resourceGroup"] = parsed.GetValue(group),
                ["command"] = parsed.GetValue(command) is { Length: > 0 } args ? args : null,
            };
            foreach (var empty in body.Where(p => p.Value is null).Select(p => p.Key).ToArray())
            {
                body.Remove(empty);
            }
            var session = await api.Create("v1/sessions", body, ct);
            var id = session.Text("id");
            if (!parsed.GetValue(noWait))
            {
                if (!json)
                {
                    await context.Out.WriteLineAsync($"Session {id} created");
                }
                var outcome = await Follow(context, api, id, untilReady: true, quiet: json, ct);
                session = await api.Get($"v1/sessions/{id}", ct);
                if (outcome != ExitCodes.Ok)
                {
                    if (json)
                    {
                        Output.Json(context, session);
                    }
                    return outcome;
                }
            }
            if (json)
            {
                Output.Json(context, session);
                return ExitCodes.Ok;
            }
            PrintSession(context, session);
            return ExitCodes.Ok;
        }));
        return create;
    }

    private static Command ListCommand(CliContext context)
    {
        var all = new Option<bool>("--all") { Description = "Every user's sessions (admin)" };
        var status = new Option<string?>("--status") { Description = "Only sessions in this status, e.g. RUNNING" };
        var list = new Command("list", "Your sessions, newest first") { all, status };
        list.SetAction(CliApp.WithApi(context, async (api, parsed, json, ct) =>
        {
            var query = new List<string>();
            if (parsed.GetValue(all))
            {
                query.Add("all=true");
            }
            if (parsed.GetValue(status) is { } wanted)
            {
                query.Add("status=" + Uri.EscapeDataString(wanted));
            }
            var sessions = await api.Get("v1/sessions" + (query.Count > 0 ? "?" + string.Join("&", query) : ""), ct);
            if (json)
            {
                Output.Json(context, sessions);
                return ExitCodes.Ok;
            }
            Output.Table(context, sessions, ("ID", s => s.Text("id")), ("NAME", s => s.Text("name")), ("OWNER", s => s.Text("owner")),
                ("IMAGE", s => s.Text("image")), ("STATUS", s => s.Text("status")), ("AGENT", s => s.Text("agent")), ("CREATED", s => s.Time("createdAt")));
            return ExitCodes.Ok;
        }));
        return list;
    }

    private static Command InfoCommand(CliContext context)
    {
        var id = IdArgument();
        var info = new Command("info", "One session: status, resources, apps") { id };
        info.SetAction(CliApp.WithApi(context, async (api, parsed, json, ct) =>
        {
            var session = await api.Get(SessionPath(parsed, id), ct);
            if (json)
            {
                Output.Json(context, session);
                return ExitCodes.Ok;
            }
            PrintSession(context, session);
            return ExitCodes.Ok;
        }));
        return info;
    }

    private static Command LogsCommand(CliContext context)
    {
        var id = IdArgument();
        var tail = new Option<int?>("--tail") { Description = "Only the last N lines" };
        var logs = new Command("logs", "The container's output") { id, tail };
        logs.SetAction(CliApp.WithApi(context, async (api, parsed, _, ct) =>
        {
            var query = parsed.GetValue(tail) is { } lines ? $"?tail={lines}" : "";
            await context.Out.WriteAsync(await api.GetText(SessionPath(parsed, id) + "/logs" + query, ct));
            return ExitCodes.Ok;
        }));
        return logs;
    }

    private static Command DeleteCommand(CliContext context)
    {
        var id = IdArgument();
        var force = new Option<bool>("--force") { Description = "End a stuck session without waiting for its agent" };
        var wait = new Option<bool>("--wait") { Description = "Wait until it has ended" };
        var delete = new Command("delete", "Terminate a session") { id, force, wait };
        delete.SetAction(CliApp.WithApi(context, async (api, parsed, json, ct) =>
        {
            var session = await api.Delete(SessionPath(parsed, id) + (parsed.GetValue(force) ? "?force=true" : ""), ct);
            if (parsed.GetValue(wait))
            {
                await Follow(context, api, session.Text("id"), untilReady: false, quiet: true, ct);
                session = await api.Get(SessionPath(parsed, id), ct);
            }
            if (json)
            {
                Output.Json(context, session);
                return ExitCodes.Ok;
            }
            await context.Out.WriteLineAsync($"Session {session.Text("id")} is {session.Text("status")}");
            return ExitCodes.Ok;
        }));
        return delete;
    }

    private static Command AppsCommand(CliContext context)
    {
        var id = IdArgument();
        var apps = new Command("apps", "The session's apps, where to reach them and whether they answer yet") { id };
        apps.SetAction(CliApp.WithApi(context, async (api, parsed, json, ct) =>
        {
            var list = await api.Get(SessionPath(parsed, id) + "/apps", ct);
            if (json)
            {
                Output.Json(context, list);
                return ExitCodes.Ok;
            }
            PrintApps(context, list);
            return ExitCodes.Ok;
        }));
        return apps;
    }

    private static Command SshCommand(CliContext context)
    {
        var id = IdArgument();
        var extra = new Argument<string[]>("ssh-args") { Description = "More arguments for ssh, after --", Arity = ArgumentArity.ZeroOrMore };
        var ssh = new Command("ssh", "ssh into the session with its own key ($GRANARY_SSH names another ssh program)") { id, extra };
        ssh.SetAction(CliApp.WithApi(context, async (api, parsed, _, ct) =>
        {
            var access = await api.Get(SessionPath(parsed, id) + "/ssh", ct);
            var keyFile = Path.Combine(Path.GetTempPath(), $"granary-{Guid.NewGuid():N}.key");
            try
            {
                // Created 0600 from the start: ssh refuses a key others can read, and it is a secret.
                await using (var file = new FileStream(keyFile, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                }))
                await using (var writer = new StreamWriter(file))
                {
                    var key = access.Text("privateKey");
                    await writer.WriteAsync(key.EndsWith('\n') ? key : key + "\n");
                }
                var start = new ProcessStartInfo(context.Environment("GRANARY_SSH") ?? "ssh") { UseShellExecute = false };
                foreach (var argument in new[] { "-i", keyFile, "-p", access.Text("port"), "-o", "IdentitiesOnly=yes",
                    "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", $"{access.Text("user")}@{access.Text("host")}" }
                    .Concat(parsed.GetValue(extra) ?? []))
                {
                    start.ArgumentList.Add(argument);
                }
                using var process = Process.Start(start) ?? throw new CliException(ExitCodes.Failed, $"Could not start {start.FileName}.");
                await process.WaitForExitAsync(ct);
                return process.ExitCode;
            }
            catch (System.ComponentModel.Win32Exception exception)
            {
                throw new CliException(ExitCodes.Failed, $"Could not run ssh: {exception.Message}");
            }
            finally
            {
                File.Delete(keyFile);
            }
        }));
        return ssh;
    }

    private static Command WatchCommand(CliContext context)
    {
        var id = IdArgument();
        var watch = new Command("watch", "Follow a session's status changes and app readiness until it ends") { id };
        watch.SetAction(CliApp.WithApi(context, async (api, parsed, json, ct) =>
        {
            var sessionId = parsed.GetRequiredValue(id);
            await foreach (var (type, data) in api.Events(sessionId, ct))
            {
                if (json)
                {
                    await context.Out.WriteLineAsync(JsonSerializer.Serialize(new { type, data }));
                }
                else
                {
                    await context.Out.WriteLineAsync(Describe(type, data));
                }
            }
            return ExitCodes.Ok;
        }));
        return watch;
    }

    /// <summary>Prints each event until RUNNING with every app answering (untilReady) or a final status. Failed when
    /// the session ended before it was running or an app failed.</summary>
    private static async Task<int> Follow(CliContext context, GranaryApi api, string id, bool untilReady, bool quiet, CancellationToken ct)
    {
        await foreach (var (type, data) in api.Events(id, ct))
        {
            if (!quiet)
            {
                await context.Out.WriteLineAsync("  " + Describe(type, data));
            }
            var status = data.Text("status");
            if (FinalStatuses.Contains(status))
            {
                return untilReady ? ExitCodes.Failed : ExitCodes.Ok;
            }
            if (type == "app" && data.GetProperty("app").Text("state") == "failed")
            {
                return ExitCodes.Failed;
            }
            if (untilReady && status == "RUNNING")
            {
                var apps = await api.Get($"v1/sessions/{Uri.EscapeDataString(id)}/apps", ct);
                if (apps.EnumerateArray().All(a => a.Text("state") == "ready"))
                {
                    return ExitCodes.Ok;
                }
            }
        }
        return untilReady ? ExitCodes.Failed : ExitCodes.Ok;
    }

    private static string Describe(string type, JsonElement data) => type == "app"
        ? $"{data.GetProperty("app").Text("name")} {data.GetProperty("app").Text("state")}{Reason(data)}"
        : $"{data.Text("status")}{Reason(data)}";

    private static string Reason(JsonElement data) => data.Text("reason") is { Length: > 0 } reason ? $" ({reason})" : "";

    private static void PrintSession(CliContext context, JsonElement session)
    {
        var resources = session.GetProperty("resources");
        Output.Fields(context,
            ("id", session.Text("id")), ("name", session.Text("name")), ("owner", session.Text("owner")), ("image", session.Text("image")),
            ("status", session.Text("status") + (session.Text("statusReason") is { Length: > 0 } r ? $" ({r})" : "")),
            ("resources", $"cpu {resources.Text("cpu")}, memory {resources.Bytes("memory")}, gpu {resources.Text("gpu")}, fgpu {resources.Text("fgpu")}"),
            ("agent", session.Text("agent")), ("created", session.Time("createdAt")), ("started", session.Time("startedAt")));
        if (session.GetProperty("apps").GetArrayLength() > 0)
        {
            PrintApps(context, session.GetProperty("apps"));
        }
    }

    private static void PrintApps(CliContext context, JsonElement apps) =>
        Output.Table(context, apps, ("APP", a => a.Text("name")), ("STATE", a => a.Text("state")), ("URL", a => a.Text("url")));

    private static Argument<string> IdArgument() => new("id") { Description = "The session's id" };

    private static string SessionPath(ParseResult parsed, Argument<string> id) => $"v1/sessions/{Uri.EscapeDataString(parsed.GetRequiredValue(id))}";

    private static Dictionary<string, object> ParseMount(string text)
    {
        var parts = text.Split(':');
        var mount = new Dictionary<string, object> { ["folder"] = parts[0] };
        var rest = parts.Skip(1).ToList();
        if (rest.Count > 0 && rest[^1] is "ro" or "rw")
        {
            mount["readOnly"] = rest[^1] == "ro";
            rest.RemoveAt(rest.Count - 1);
        }
        if (rest.Count > 0)
        {
            mount["path"] = string.Join(":", rest);
        }
        return mount;
    }
}
