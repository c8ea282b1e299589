using Granary.TestHelpers;

namespace Granary.UnitTests;

/// <summary>Guardrails on the code's shape that the compiler does not check.</summary>
public sealed class CodeShapeTests
{
    private const int MaxGrainFileLines = 400;

    /// <summary>Grains stay thin: a file that grows past this splits by job (another partial file, or a plain
    /// class the grain drives), as the agent and session grains did.</summary>
    [Fact]
    public void No_file_of_the_grains_project_is_over_400_lines()
    {
        var grains = Path.Combine(Repository.Root, "grains");
        var files = Directory.EnumerateFiles(grains, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                     && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToArray();
        Assert.Contains(files, f => f.EndsWith("AgentGrain.cs", StringComparison.Ordinal));
        var tooLong = files.Select(f => (File: Path.GetRelativePath(Repository.Root, f), Lines: File.ReadLines(f).Count()))
            .Where(f => f.Lines > MaxGrainFileLines)
            .Select(f => $"{f.File}: {f.Lines} lines");
        Assert.Empty(tooLong);
    }
}
