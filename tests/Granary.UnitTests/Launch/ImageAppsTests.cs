using Granary.Agents;
using Granary.Agents.Launch;

namespace Granary.UnitTests.Launch;

public sealed class ImageAppsTests
{
    private static Dictionary<string, string> Labels(string apps) => new() { [ImageLabels.Apps] = apps };

    [Fact]
    public void Parses_the_apps_an_image_declares()
    {
        var apps = ImageApps.Parse(Labels("terminal:exec, jupyter:http:8888,ssh:tcp:2200"));

        Assert.Equal(
            [new ImageApp("terminal", "exec", 0), new ImageApp("jupyter", "http", 8888), new ImageApp("ssh", "tcp", 2200)],
            apps);
        Assert.Equal([8888, 2200], ImageApps.Ports(apps));
    }

    [Fact]
    public void An_image_without_the_label_has_no_apps()
    {
        Assert.Empty(ImageApps.Parse(new Dictionary<string, string> { [ImageLabels.Environment] = "x" }));
        Assert.Empty(ImageApps.Parse(Labels(" ")));
    }

    [Theory]
    [InlineData("jupyter:http", "needs a port")]
    [InlineData("ssh:udp:22", "protocol must be one of")]
    [InlineData("web:http:0", "needs a port")]
    [InlineData("web:http:70000", "needs a port")]
    [InlineData("web:http:80x", "needs a port")]
    [InlineData("terminal:exec:7681", "an exec app has no port")]
    [InlineData("Jupyter:http:8888", "lower-case")]
    [InlineData("a:http:1:2", "expected name:protocol[:port]")]
    [InlineData("web:http:80,web:http:81", "declared twice")]
    public void Malformed_entries_are_refused_naming_the_label(string value, string why)
    {
        var failure = Assert.Throws<FormatException>(() => ImageApps.Parse(Labels(value)));

        Assert.Contains(ImageLabels.Apps, failure.Message);
        Assert.Contains(why, failure.Message);
    }

    [Fact]
    public void Http_apps_get_their_proxied_base_url_in_the_environment()
    {
        var apps = ImageApps.Parse(Labels("terminal:exec,jupyter:http:8888,tensor-board:http:6006,ssh:tcp:2200"));

        var environment = ImageApps.Environment(apps, "s-1");

        Assert.Equal(
            new Dictionary<string, string>
            {
                ["GRANARY_JUPYTER_BASE_URL"] = "/v1/sessions/s-1/apps/jupyter/",
                ["GRANARY_TENSOR_BOARD_BASE_URL"] = "/v1/sessions/s-1/apps/tensor-board/",
            },
            environment);
    }
}
