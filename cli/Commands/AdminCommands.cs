using System.CommandLine;
using System.Text.Json;

namespace Granary.Cli.Commands;

/// <summary>image list, agent list (admin), user create|list|delete (admin), me.</summary>
public static class AdminCommands
{
    public static Command Images(CliContext context)
    {
        var list = new Command("list", "Environments and their versions (the image to give session create)");
        list.SetAction(CliApp.WithApi(context, async (api, _, json, ct) =>
        {
            var images = await api.Get("v1/images", ct);
            if (json)
            {
                Output.Json(context, images);
                return ExitCodes.Ok;
            }
            var rows = JsonSerializer.SerializeToElement(images.EnumerateArray().SelectMany(e => e.GetProperty("versions").EnumerateArray()
                .Select(v => new
                {
                    environment = e.Text("environment"),
                    version = v.Text("version"),
                    image = v.Text("image"),
                    apps = string.Join(",", v.GetProperty("apps").EnumerateArray().Select(a => a.GetString())),
                    agents = v.Text("agents")
                })));
            Output.Table(context, rows, ("ENVIRONMENT", r => r.Text("environment")), ("VERSION", r => r.Text("version")),
                ("IMAGE", r => r.Text("image")), ("APPS", r => r.Text("apps")), ("AGENTS", r => r.Text("agents")));
            return ExitCodes.Ok;
        }));
        return new Command("image", "Session images") { list };
    }

    public static Command Agents(CliContext context)
    {
        var list = new Command("list", "Agent nodes with capacity, allocation and heartbeat (admin)");
        list.SetAction(CliApp.WithApi(context, async (api, _, json, ct) =>
        {
            var agents = await api.Get("v1/agents", ct);
            if (json)
            {
                Output.Json(context, agents);
                return ExitCodes.Ok;
            }
            Output.Table(context, agents, ("ID", a => a.Text("id")), ("GROUP", a => a.Text("resourceGroup")), ("RUNTIME", a => a.Text("runtime")),
                ("REACHABLE", a => a.Text("reachable")), ("CPU", a => Usage(a, "cpu")), ("MEMORY", a => Usage(a, "memory")),
                ("GPU", a => Usage(a, "gpu")), ("HEARTBEAT", a => a.Text("lastHeartbeat")));
            return ExitCodes.Ok;
        }));
        return new Command("agent", "Agent nodes (admin)") { list };
    }

    public static Command Users(CliContext context)
    {
        var name = new Argument<string>("name") { Description = "The user's name" };
        var role = new Option<string>("--role") { Description = "user or admin", DefaultValueFactory = _ => "user" };
        role.AcceptOnlyFromAmong("user", "admin");
        var create = new Command("create", "Create a user and print their API key (shown once)") { name, role };
        create.SetAction(CliApp.WithApi(context, async (api, parsed, json, ct) =>
        {
            var user = await api.Post("v1/users", new { name = parsed.GetRequiredValue(name), role = parsed.GetRequiredValue(role) }, ct);
            if (json)
            {
                Output.Json(context, user);
                return ExitCodes.Ok;
            }
            Output.Fields(context, ("name", user.Text("name")), ("role", user.Text("role")), ("key", user.Text("key")));
            return ExitCodes.Ok;
        }));

        var list = new Command("list", "Users and their roles");
        list.SetAction(CliApp.WithApi(context, async (api, _, json, ct) =>
        {
            var users = await api.Get("v1/users", ct);
            if (json)
            {
                Output.Json(context, users);
                return ExitCodes.Ok;
            }
            Output.Table(context, users, ("NAME", u => u.Text("name")), ("ROLE", u => u.Text("role")), ("SOURCE", u => u.Text("source")));
            return ExitCodes.Ok;
        }));

        var deleteName = new Argument<string>("name") { Description = "The user's name" };
        var delete = new Command("delete", "Delete a user (their key stops working)") { deleteName };
        delete.SetAction(CliApp.WithApi(context, async (api, parsed, _, ct) =>
        {
            await api.Delete($"v1/users/{Uri.EscapeDataString(parsed.GetRequiredValue(deleteName))}", ct);
            await context.Out.WriteLineAsync($"Deleted user {parsed.GetRequiredValue(deleteName)}");
            return ExitCodes.Ok;
        }));
        return new Command("user", "Users and their API keys (admin)") { create, list, delete };
    }

    public static Command Me(CliContext context)
    {
        var me = new Command("me", "Who your key belongs to");
        me.SetAction(CliApp.WithApi(context, async (api, _, json, ct) =>
        {
            var who = await api.Get("v1/me", ct);
            if (json)
            {
                Output.Json(context, who);
                return ExitCodes.Ok;
            }
            Output.Fields(context, ("name", who.Text("name")), ("role", who.Text("role")));
            return ExitCodes.Ok;
        }));
        return me;
    }

    private static string Usage(JsonElement agent, string resource) =>
        agent.TryGetProperty("allocated", out var allocated) && allocated.ValueKind == JsonValueKind.Object
        && agent.TryGetProperty("capacity", out var capacity) && capacity.ValueKind == JsonValueKind.Object
            ? $"{allocated.Text(resource)}/{capacity.Text(resource)}"
            : "";
}
