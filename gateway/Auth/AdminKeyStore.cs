using Granary.Gateway.Hosting;
using Microsoft.Extensions.Options;

namespace Granary.Gateway.Auth;

/// <summary>
/// The admin key: from configuration when set; otherwise read from the data directory, generating and
/// saving a new one there at first start so that restarts keep it.
/// </summary>
public sealed class AdminKeyStore
{
    public const string FileName = "admin-key";

    private readonly Lazy<(string Key, string Source)> _resolved;

    public AdminKeyStore(IOptions<GranaryAuthOptions> auth, IOptions<GatewayOptions> gateway)
    {
        _resolved = new Lazy<(string, string)>(() => Resolve(auth.Value.AdminKey, gateway.Value.DataDirectory));
    }

    public string Key => _resolved.Value.Key;

    /// <summary>"configuration", "file" (read from the data directory) or "generated".</summary>
    public string Source => _resolved.Value.Source;

    public string FilePath(string dataDirectory) => Path.GetFullPath(Path.Combine(dataDirectory, FileName));

    private static (string, string) Resolve(string? configured, string dataDirectory)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return (configured.Trim(), "configuration");
        }

        var path = Path.GetFullPath(Path.Combine(dataDirectory, FileName));
        if (File.Exists(path))
        {
            var stored = File.ReadAllText(path).Trim();
            if (stored.Length == 0)
            {
                throw new InvalidOperationException($"The admin key file {path} is empty; delete it to generate a new key.");
            }

            return (stored, "file");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var key = ApiKeys.Generate();
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(path, options))
        {
            writer.WriteLine(key);
        }

        return (key, "generated");
    }
}
