using System.Text.Json;

namespace Granary.Cli;

/// <summary>
/// Where the CLI finds the server and the key: GRANARY_URL and GRANARY_KEY when set, else the file `granary login`
/// wrote ($GRANARY_CONFIG, or $XDG_CONFIG_HOME/granary/config.json, or ~/.config/granary/config.json; mode 0600).
/// </summary>
public sealed record CliConfig(string Url, string Key)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string PathFrom(Func<string, string?> environment)
    {
        if (environment("GRANARY_CONFIG") is { Length: > 0 } explicitPath)
        {
            return explicitPath;
        }
        var configHome = environment("XDG_CONFIG_HOME") is { Length: > 0 } xdg
            ? xdg
            : System.IO.Path.Combine(environment("HOME") ?? System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".config");
        return System.IO.Path.Combine(configHome, "granary", "config.json");
    }

    public static CliConfig Load(Func<string, string?> environment)
    {
        var path = PathFrom(environment);
        var stored = File.Exists(path) ? JsonSerializer.Deserialize<CliConfig>(File.ReadAllText(path), Json) : null;
        var url = environment("GRANARY_URL") is { Length: > 0 } u ? u : stored?.Url;
        var key = environment("GRANARY_KEY") is { Length: > 0 } k ? k : stored?.Key;
        if (string.IsNullOrEmpty(url) || string.IsNullOrEmpty(key))
        {
            throw new CliException(ExitCodes.Auth, "Not signed in: run `granary login --url URL --key KEY` (or set GRANARY_URL and GRANARY_KEY).");
        }
        return new CliConfig(url, key);
    }

    /// <summary>Writes the file readable by its owner only: it holds an API key.</summary>
    public void Save(Func<string, string?> environment)
    {
        var path = PathFrom(environment);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        using (var file = new FileStream(temporary, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            JsonSerializer.Serialize(file, this, Json);
        }
        File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temporary, path, overwrite: true);
    }
}
