using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace Granary.Cli;

/// <summary>Tables for people, JSON (the server's own objects, indented) with --json for scripts.</summary>
public static class Output
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private static readonly (string Unit, long Size)[] ByteUnits = [("TiB", 1L << 40), ("GiB", 1L << 30), ("MiB", 1L << 20), ("KiB", 1L << 10)];

    public static void Json(CliContext context, JsonElement value) =>
        context.Out.WriteLine(JsonSerializer.Serialize(value, Indented));

    /// <summary>One row per element of a JSON array, one column per (header, read) pair.</summary>
    public static void Table(CliContext context, JsonElement rows, params (string Header, Func<JsonElement, string> Read)[] columns)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (var (header, _) in columns)
        {
            table.AddColumn(header);
        }
        foreach (var row in rows.EnumerateArray())
        {
            table.AddRow(columns.Select(c => Markup.Escape(c.Read(row))).ToArray());
        }
        context.Console.Write(table);
    }

    /// <summary>Name: value lines for one object.</summary>
    public static void Fields(CliContext context, params (string Name, string Value)[] fields)
    {
        var grid = new Grid().AddColumn().AddColumn();
        foreach (var (name, value) in fields)
        {
            grid.AddRow(Markup.Escape(name), Markup.Escape(value));
        }
        context.Console.Write(grid);
    }

    /// <summary>A timestamp property as people read it in a table: UTC to the second ("2026-12-01 09:53:54Z").</summary>
    public static string Time(this JsonElement element, string property) =>
        DateTimeOffset.TryParse(element.Text(property), CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
            ? at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : element.Text(property);

    /// <summary>A byte count property as people read it: the largest binary unit it is a whole number of
    /// ("4 GiB", "1536 MiB"), else bytes.</summary>
    public static string Bytes(this JsonElement element, string property)
    {
        if (!element.TryGetProperty(property, out var value) || !value.TryGetInt64(out var bytes))
        {
            return element.Text(property);
        }
        foreach (var (unit, size) in ByteUnits)
        {
            if (bytes >= size && bytes % size == 0)
            {
                return $"{bytes / size} {unit}";
            }
        }
        return $"{bytes} B";
    }

    public static string Text(this JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString() ?? "",
            JsonValueKind.Null or JsonValueKind.Undefined => "",
            _ => value.GetRawText(),
        } : "";
}
