using System.Globalization;
using System.Text.RegularExpressions;

namespace Granary.Silo.Adapters.Docker;

/// <summary>
/// What a Docker engine with user namespaces (dockerd --userns-remap) makes of a container's users: container uid N
/// is uid base+N on the host. The engine says it remaps with "name=userns" among its security options and keeps
/// that mapping's data under a root directory named "{uid base}.{gid base}".
/// </summary>
public static partial class DockerUserNamespace
{
    /// <summary>The host uid and gid of the container's root, or null when the engine does not remap users.</summary>
    public static (int Uid, int Gid)? RemapBase(string? dockerRootDir, IEnumerable<string>? securityOptions)
    {
        var remaps = securityOptions?.Any(option => option.Split(',').Contains("name=userns")) == true;
        if (!remaps)
            return null;
        var match = BaseDirectory().Match(Path.GetFileName((dockerRootDir ?? "").TrimEnd('/')));
        if (!match.Success)
            throw new ContainerRuntimeException(
                $"Docker remaps users (userns) but its root directory '{dockerRootDir}' does not name the mapping's base as 'UID.GID'.");
        return (int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^(\d{1,9})\.(\d{1,9})$")]
    private static partial Regex BaseDirectory();
}
