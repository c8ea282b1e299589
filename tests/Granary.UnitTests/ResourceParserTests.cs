using Granary.Resources;

namespace Granary.UnitTests;

public class ResourceParserTests
{
    [Theory]
    [InlineData("4g", 4L << 30)]
    [InlineData("4G", 4L << 30)]
    [InlineData("4GB", 4L << 30)]
    [InlineData("2Gi", 2L << 30)]
    [InlineData("2GiB", 2L << 30)]
    [InlineData("512m", 512L << 20)]
    [InlineData("512Mi", 512L << 20)]
    [InlineData("1.5g", 3L << 29)]
    [InlineData("1024k", 1L << 20)]
    [InlineData("1024K", 1L << 20)]
    [InlineData("1t", 1L << 40)]
    [InlineData("1048576", 1048576)]
    [InlineData(" 8 g ", 8L << 30)]
    [InlineData("100b", 100)]
    public void ParseMemory_accepts_binary_units_case_insensitively(string text, long expected) =>
        Assert.Equal(expected, ResourceParser.ParseMemory(text));

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("-4g")]
    [InlineData("4x")]
    [InlineData("4 gigs")]
    [InlineData("1e9")]
    [InlineData("4ib")]
    [InlineData("0.5")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("99999999999999999999999999999999p")]
    [InlineData("9999999999p")]
    public void ParseMemory_rejects_malformed_text(string text) =>
        Assert.Throws<FormatException>(() => ResourceParser.ParseMemory(text));

    private static ResourceInput Valid(decimal? cpu = 2, string? memory = "4g", int? gpu = null, decimal? fgpu = null, string[]? models = null) =>
        new(cpu, memory, gpu, fgpu, models);

    [Fact]
    public void Parse_converts_to_internal_units()
    {
        var result = ResourceParser.Parse(Valid(cpu: 0.5m, memory: "512m", fgpu: 0.25m, models: ["V100M32"]));

        Assert.True(result.IsValid);
        var request = result.Value!;
        Assert.Equal(500, request.CpuMilli);
        Assert.Equal(512L << 20, request.MemoryBytes);
        Assert.Equal(0, request.Gpus);
        Assert.Equal(250, request.FgpuMilli);
        Assert.Equal(["V100M32"], request.GpuModels!);
    }

    [Fact]
    public void Parse_accepts_whole_gpus_and_no_gpu()
    {
        var whole = ResourceParser.Parse(Valid(gpu: 2));
        var none = ResourceParser.Parse(Valid(gpu: 0, fgpu: 0));

        Assert.Equal(2, whole.Value!.Gpus);
        Assert.Equal(0, whole.Value.FgpuMilli);
        Assert.True(none.IsValid);
        Assert.False(none.Value!.WantsGpu);
        Assert.Null(none.Value.GpuModels);
    }

    [Fact]
    public void Parse_accepts_the_limits()
    {
        var result = ResourceParser.Parse(Valid(cpu: 4096, memory: "64t", fgpu: 64m));
        Assert.True(result.IsValid, string.Join("; ", result.Errors.SelectMany(e => e.Value)));
        Assert.Equal(4_096_000, result.Value!.CpuMilli);
        Assert.Equal(64_000, result.Value.FgpuMilli);
        Assert.Equal(64, ResourceParser.Parse(Valid(gpu: 64)).Value!.Gpus);
    }

    public static TheoryData<ResourceInput, string> Invalid => new()
    {
        { new ResourceInput(null, "4g", null, null, null), "cpu" },
        { new ResourceInput(0m, "4g", null, null, null), "cpu" },
        { new ResourceInput(-1m, "4g", null, null, null), "cpu" },
        { new ResourceInput(0.0005m, "4g", null, null, null), "cpu" },
        { new ResourceInput(4096.001m, "4g", null, null, null), "cpu" },
        { new ResourceInput(decimal.MaxValue, "4g", null, null, null), "cpu" },
        { new ResourceInput(1m, null, null, null, null), "memory" },
        { new ResourceInput(1m, "  ", null, null, null), "memory" },
        { new ResourceInput(1m, "lots", null, null, null), "memory" },
        { new ResourceInput(1m, "0", null, null, null), "memory" },
        { new ResourceInput(1m, "0g", null, null, null), "memory" },
        { new ResourceInput(1m, "-1g", null, null, null), "memory" },
        { new ResourceInput(1m, "65t", null, null, null), "memory" },
        { new ResourceInput(1m, "1p", null, null, null), "memory" },
        { new ResourceInput(1m, "99999999999999999999999999999", null, null, null), "memory" },
        { new ResourceInput(1m, "4g", -1, null, null), "gpu" },
        { new ResourceInput(1m, "4g", 65, null, null), "gpu" },
        { new ResourceInput(1m, "4g", int.MaxValue, null, null), "gpu" },
        { new ResourceInput(1m, "4g", null, -0.5m, null), "fgpu" },
        { new ResourceInput(1m, "4g", null, 64.001m, null), "fgpu" },
        { new ResourceInput(1m, "4g", null, 0.0001m, null), "fgpu" },
        { new ResourceInput(1m, "4g", null, decimal.MaxValue, null), "fgpu" },
        { new ResourceInput(1m, "4g", 1, 0.5m, null), "fgpu" },
        { new ResourceInput(1m, "4g", 1, null, [""]), "gpuModels" },
        { new ResourceInput(1m, "4g", 1, null, [new string('x', 65)]), "gpuModels" },
        { new ResourceInput(1m, "4g", 1, null, Enumerable.Repeat("A", 17).ToArray()), "gpuModels" },
        { new ResourceInput(1m, "4g", null, null, ["V100M16"]), "gpuModels" },
        { new ResourceInput(1m, "4g", null, null, null, "1g.10"), "mig" },
        { new ResourceInput(1m, "4g", null, null, null, "5g.50gb"), "mig" },
        { new ResourceInput(1m, "4g", null, null, null, ""), "mig" },
        { new ResourceInput(1m, "4g", null, null, null, "1G.10GB"), "mig" },
        { new ResourceInput(1m, "4g", 1, null, null, "1g.10gb"), "mig" },
        { new ResourceInput(1m, "4g", null, 0.5m, null, "1g.10gb"), "mig" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Parse_names_the_offending_field(ResourceInput input, string field)
    {
        var result = ResourceParser.Parse(input);

        Assert.False(result.IsValid);
        Assert.Null(result.Value);
        Assert.Equal([field], result.Errors.Keys.ToArray());
        Assert.All(result.Errors[field], message => Assert.False(string.IsNullOrWhiteSpace(message)));
    }

    [Theory]
    [InlineData("1g.10gb", 143)]
    [InlineData("3g.40gb", 429)]
    [InlineData("7g.80gb", 1000)]
    [InlineData("1g.10gb+me", 143)]
    public void A_mig_profile_asks_for_that_instance_and_is_charged_its_slices_over_seven(string profile, long fgpuMilli)
    {
        var result = ResourceParser.Parse(new ResourceInput(1m, "4g", null, null, ["H100"], profile));

        Assert.True(result.IsValid);
        Assert.Equal(profile, result.Value!.MigProfile);
        Assert.Equal(fgpuMilli, result.Value.FgpuMilli);
        Assert.Equal(0, result.Value.Gpus);
        Assert.Equal(["H100"], result.Value.GpuModels!);
    }

    [Fact]
    public void Parse_reports_every_bad_field_at_once()
    {
        var result = ResourceParser.Parse(new ResourceInput(-1m, "huge", -2, -1m, null));

        Assert.Equal(["cpu", "fgpu", "gpu", "memory"], result.Errors.Keys.Order().ToArray());
    }

    [Fact]
    public void Parse_error_for_unparseable_memory_quotes_the_text()
    {
        var result = ResourceParser.Parse(Valid(memory: "lots"));
        Assert.Contains("'lots'", result.Errors["memory"][0]);
    }
}
