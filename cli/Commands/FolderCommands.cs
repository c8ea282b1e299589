using System.CommandLine;

namespace Granary.Cli.Commands;

/// <summary>folder create|list|delete: storage folders that outlive sessions.</summary>
public static class FolderCommands
{
    public static Command Create(CliContext context)
    {
        var createName = new Argument<string>("name") { Description = "The folder's name" };
        var create = new Command("create", "Create a storage folder") { createName };
        create.SetAction(CliApp.WithApi(context, async (api, parsed, json, ct) =>
        {
            var folder = await api.Post("v1/folders", new { name = parsed.GetRequiredValue(createName) }, ct);
            if (json)
            {
                Output.Json(context, folder);
                return ExitCodes.Ok;
            }
            await context.Out.WriteLineAsync($"Created folder {folder.Text("name")}");
            return ExitCodes.Ok;
        }));

        var list = new Command("list", "Your storage folders and the sessions that mount them");
        list.SetAction(CliApp.WithApi(context, async (api, _, json, ct) =>
        {
            var folders = await api.Get("v1/folders", ct);
            if (json)
            {
                Output.Json(context, folders);
                return ExitCodes.Ok;
            }
            Output.Table(context, folders, ("NAME", f => f.Text("name")), ("CREATED", f => f.Time("createdAt")),
                ("MOUNTED BY", f => string.Join(",", f.GetProperty("mountedBy").EnumerateArray().Select(s => s.GetString()))));
            return ExitCodes.Ok;
        }));

        var deleteName = new Argument<string>("name") { Description = "The folder's name" };
        var delete = new Command("delete", "Delete a storage folder and its data") { deleteName };
        delete.SetAction(CliApp.WithApi(context, async (api, parsed, _, ct) =>
        {
            await api.Delete($"v1/folders/{Uri.EscapeDataString(parsed.GetRequiredValue(deleteName))}", ct);
            await context.Out.WriteLineAsync($"Deleted folder {parsed.GetRequiredValue(deleteName)}");
            return ExitCodes.Ok;
        }));
        return new Command("folder", "Storage folders") { create, list, delete };
    }
}
