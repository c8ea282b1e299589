namespace Granary.Silo.Adapters.Simulated;

/// <summary>The simulated container runtime ("Granary:Agent:Simulated").</summary>
public sealed class SimulatedRuntimeOptions
{
    public const string Section = "Granary:Agent:Simulated";
    public static readonly string[] DefaultImages = ["python:3.11", "base:1"];

    /// <summary>How long a container takes to start (zero allowed).</summary>
    public TimeSpan StartDelay { get; set; } = TimeSpan.Zero;

    /// <summary>How long after RUNNING a simulated app becomes ready (zero allowed). Longer than the agent's
    /// AppProbeTimeout, an app fails its readiness instead.</summary>
    public TimeSpan AppReadyDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Chance in [0, 1] that a start fails, drawn from a Random seeded with Seed.</summary>
    public double FailureProbability { get; set; }

    public int Seed { get; set; } = 1;

    /// <summary>Images whose containers always fail to start.</summary>
    public string[]? FailingImages { get; set; }

    /// <summary>Images whose containers never finish starting (until cancelled): stuck sessions.</summary>
    public string[]? HangingImages { get; set; }

    /// <summary>The images the node has; unset means DefaultImages.</summary>
    public string[]? Images { get; set; }

    /// <summary>Labels every image of Images carries (for example "granary.apps").</summary>
    public Dictionary<string, string> ImageLabels { get; set; } = [];

    /// <summary>More images, each with its own labels.</summary>
    public List<SimulatedImage> LabelledImages { get; set; } = [];
}

public sealed class SimulatedImage
{
    public string Reference { get; set; } = "";
    public Dictionary<string, string> Labels { get; set; } = [];
}
