using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Granary.Cli.Commands;

/// <summary>key create|list|delete: your own API keys (/v1/me/keys), or with --user another user's (admin,
/// /v1/users/{name}/keys). The secret is printed once, by create; the server keeps only its hash.</summary>
public static class KeyCommands
{
    public static Command Create(CliContext context)
    {
        var createName = new Argument<string>("name") { Description = "What the key is for, e.g. laptop" };
        var expires = new Option<DateTimeOffset?>("--expires")
        {
            Description = "When the key stops working: a duration from now (30d, 12h, 90m) or a date/time (2027-01-31, 2027-01-31T12:00Z)",
            CustomParser = ParseExpiry,
        };
        var createUser = UserOption();
        var create = new Command("create", "Create an API key and print its secret (shown only this once)") { createName, expires, createUser };
        create.SetAction(CliApp.WithApi(context, async (api, parsed, json, ct) =>
        {
            var key = await api.Post(KeysPath(parsed, createUser), new { name = parsed.GetRequiredValue(createName), expiresAt = parsed.GetValue(expires) }, ct);
            if (json)
            {
                Output.Json(context, key);
                return ExitCodes.Ok;
            }
            Output.Fields(context, ("id", key.Text("id")), ("name", key.Text("name")), ("expires", Never(key.Time("expiresAt"))), ("key", key.Text("key")));
            await context.Out.WriteLineAsync("The key is shown only this once: keep it now (granary login --key KEY).");
            return ExitCodes.Ok;
        }));

        var listUser = UserOption();
        var list = new Command("list", "API keys: id, name, expiry (never their secrets)") { listUser };
        list.SetAction(CliApp.WithApi(context, async (api, parsed, json, ct) =>
        {
            var keys = await api.Get(KeysPath(parsed, listUser), ct);
            if (json)
            {
                Output.Json(context, keys);
                return ExitCodes.Ok;
            }
            Output.Table(context, keys, ("ID", k => k.Text("id")), ("NAME", k => k.Text("name")), ("CREATED", k => k.Time("createdAt")),
                ("EXPIRES", k => Never(k.Time("expiresAt"))), ("EXPIRED", k => k.Text("expired")));
            return ExitCodes.Ok;
        }));

        var id = new Argument<string>("id") { Description = "The key's id (granary key list)" };
        var deleteUser = UserOption();
        var delete = new Command("delete", "Delete an API key: it stops working with the next request") { id, deleteUser };
        delete.SetAction(CliApp.WithApi(context, async (api, parsed, _, ct) =>
        {
            await api.Delete($"{KeysPath(parsed, deleteUser)}/{Uri.EscapeDataString(parsed.GetRequiredValue(id))}", ct);
            await context.Out.WriteLineAsync($"Deleted key {parsed.GetRequiredValue(id)}");
            return ExitCodes.Ok;
        }));
        return new Command("key", "API keys: your own, or another user's with --user (admin)") { create, list, delete };
    }

    /// <summary>A duration from now ("30d", "12h", "90m") or an ISO 8601 date or date/time (UTC unless it says).</summary>
    public static DateTimeOffset? ParseExpiry(string text, DateTimeOffset now)
    {
        if (text.Length >= 2 && int.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var amount) && amount > 0)
        {
            TimeSpan? span = text[^1] switch
            {
                'd' => TimeSpan.FromDays(amount),
                'h' => TimeSpan.FromHours(amount),
                'm' => TimeSpan.FromMinutes(amount),
                _ => null,
            };
            if (span is { } duration)
            {
                return now + duration;
            }
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;
    }

    private static DateTimeOffset? ParseExpiry(ArgumentResult result)
    {
        var text = result.Tokens.Single().Value;
        var expiry = ParseExpiry(text, DateTimeOffset.UtcNow);
        if (expiry is null)
        {
            result.AddError($"--expires: '{text}' is neither a duration (30d, 12h, 90m) nor a date/time (2027-01-31T12:00Z).");
        }
        return expiry;
    }

    private static Option<string?> UserOption() => new("--user") { Description = "Another user's keys, by user name (admin)" };

    private static string KeysPath(ParseResult parsed, Option<string?> user) =>
        parsed.GetValue(user) is { } name ? $"v1/users/{Uri.EscapeDataString(name)}/keys" : "v1/me/keys";

    private static string Never(string expiresAt) => expiresAt.Length == 0 ? "never" : expiresAt;
}
