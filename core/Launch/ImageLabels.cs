namespace Granary.Agents.Launch;

/// <summary>The labels a Granary image carries (set by deploy/images/build.sh; see deploy/images/README.md).</summary>
public static class ImageLabels
{
    /// <summary>Environment name, e.g. "python".</summary>
    public const string Environment = "granary.environment";

    /// <summary>Environment version, e.g. "3.11".</summary>
    public const string Version = "granary.version";

    /// <summary>The apps the image serves: comma-separated "name:protocol[:containerPort]",
    /// e.g. "terminal:exec,jupyter:http:8888,ssh:tcp:2200".</summary>
    public const string Apps = "granary.apps";

    /// <summary>Comma-separated Linux capabilities the image's start script and services need
    /// (everything else is dropped), e.g. "CHOWN,SETUID,SETGID,SYS_CHROOT,KILL".</summary>
    public const string Capabilities = "granary.capabilities";

    /// <summary>Hash of the recipe the image was built from (build cache key).</summary>
    public const string Recipe = "granary.recipe";
}
