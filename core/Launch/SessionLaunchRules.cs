using System.Text.RegularExpressions;

namespace Granary.Agents.Launch;

/// <summary>
/// What a session may ask of its container without gaining root in it: the environment names that change how
/// programs load or run (the dynamic loader's, glibc's, the shell's, OpenSSL's, the GPU runtime's and Granary's
/// own) are reserved, because the image's start script runs as root before it drops to the session user; and
/// folders mount only below the session user's home, never over its .ssh, and never at, over or below the paths
/// where the agent mounts GPU enforcement (<see cref="ReservedMountTargets"/>). The gateway checks these at create
/// (400 naming the field) and the agent again where it builds the container's launch spec.
/// </summary>
public static partial class SessionLaunchRules
{
    public const string Home = "/home/work";

    /// <summary>Names reserved by prefix: the dynamic loader and malloc tunables, the NVIDIA container runtime
    /// and CUDA (the agent decides devices and limits), OpenSSL (engines are shared libraries), bash's exported
    /// functions, Kerberos configuration, and Granary's own.</summary>
    public static readonly IReadOnlyList<string> ReservedPrefixes =
        ["LD_", "MALLOC_", "NVIDIA_", "CUDA_", "GRANARY_", "OPENSSL_", "BASH_FUNC_", "KRB5", "PERL5", "TINI_"];

    /// <summary>Names reserved exactly: the shell's start-up and parsing hooks, where programs are looked up,
    /// who the process is, and glibc's list of variables it ignores for set-user-id programs because they load
    /// code or data (GCONV_PATH, GLIBC_TUNABLES, LOCPATH …).</summary>
    public static readonly IReadOnlySet<string> ReservedNames = new HashSet<string>(StringComparer.Ordinal)
    {
        "BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "PS4", "PROMPT_COMMAND", "IFS", "CDPATH", "GLOBIGNORE",
        "BASH_XTRACEFD", "PATH", "HOME", "SHELL", "USER", "LOGNAME",
        "GCONV_PATH", "GETCONF_DIR", "GLIBC_TUNABLES", "HOSTALIASES", "LOCALDOMAIN", "LOCPATH", "NIS_PATH",
        "NLSPATH", "RESOLV_HOST_CONF", "RES_OPTIONS", "TMPDIR", "TZDIR", "PERLLIB",
    };

    /// <summary>Folders never mount here or below (the session's SSH keys).</summary>
    public static readonly IReadOnlyList<string> ProtectedHomePaths = [$"{Home}/.ssh"];

    /// <summary>Where the agent mounts GPU enforcement: the MPS pipe directory, the preload file naming HAMi-core, and
    /// the directory of the HAMi-core library. A folder at, over or below one of these would replace it, or put the
    /// agent's file into the user's folder; refused whatever else the mount rules allow, so that loosening them
    /// later cannot open these.</summary>
    public static readonly IReadOnlyList<string> ReservedMountTargets =
    [
        GpuEnforcement.MpsPipeInContainer,
        GpuEnforcement.PreloadInContainer,
        GpuEnforcement.HamiLibraryInContainer[..GpuEnforcement.HamiLibraryInContainer.LastIndexOf('/')],
    ];

    /// <summary>Why a session may not set this environment name, or null when it may.</summary>
    public static string? WhyReserved(string name)
    {
        if (ReservedNames.Contains(name))
            return $"{name} changes how programs start or what they load, and is reserved.";
        var prefix = ReservedPrefixes.FirstOrDefault(p => name.StartsWith(p, StringComparison.Ordinal));
        return prefix is null ? null : $"Names starting with {prefix} are reserved (they change how programs load or run).";
    }

    /// <summary>Why a folder may not be mounted at this container path, or null when it may: the path must be
    /// absolute, below /home/work, made of plain segments (letters, digits, '.', '_', '-'; no '.' or '..'), and not
    /// over .ssh. A trailing '/' is allowed.</summary>
    public static string? WhyMountPathRefused(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (ReservedTargetUnder(path) is { } reserved)
            return $"{reserved} is where the agent mounts GPU enforcement (the MPS pipe directory, ld.so.preload, the HAMi-core library): folders cannot be mounted at, over or below it.";
        var trimmed = path.Length > 1 ? path.TrimEnd('/') : path;
        if (trimmed.Length > 255 || !MountPathRegex().IsMatch(trimmed))
            return $"Must be a path below {Home} made of letters, digits, '.', '_' and '-', such as {Home}/data.";
        if (trimmed.Split('/').Any(segment => segment is "." or ".."))
            return "Must not contain '.' or '..' segments.";
        if (ProtectedHomePaths.Any(p => trimmed == p || trimmed.StartsWith(p + "/", StringComparison.Ordinal)))
            return $"Folders cannot be mounted over {string.Join(", ", ProtectedHomePaths)}.";
        return null;
    }

    // The reserved target the path is, contains or lies below, compared by plain segments ("//" and "/./" ignored).
    private static string? ReservedTargetUnder(string path)
    {
        var plain = "/" + string.Join('/', path.Split('/').Where(s => s is not ("" or ".")));
        return ReservedMountTargets.FirstOrDefault(target =>
            plain == target || plain == "/" || target.StartsWith(plain + "/", StringComparison.Ordinal)
            || plain.StartsWith(target + "/", StringComparison.Ordinal));
    }

    /// <summary>The path as mounted: without a trailing '/'.</summary>
    public static string NormalizeMountPath(string path) => path.TrimEnd('/');

    [GeneratedRegex(@"^/home/work(/[A-Za-z0-9._-]+)+$")]
    private static partial Regex MountPathRegex();
}
