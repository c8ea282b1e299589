using System.Net.Http.Json;

namespace Granary.GatewayTests;

[Collection(GatewayCollection.Name)]
public sealed class ImagesApiTests(GatewayFactory factory)
{
    [Fact]
    public async Task Images_list_environments_with_versions_and_apps()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);

        var environments = (await Api.GetJson(alice, "/v1/images")).EnumerateArray().ToDictionary(e => e.GetProperty("environment").GetString()!);

        Assert.Equal(["base", "python"], environments.Keys.Order());
        var python = Assert.Single(environments["python"].GetProperty("versions").EnumerateArray());
        Assert.Equal("3.11", python.GetProperty("version").GetString());
        Assert.Equal("python:3.11", python.GetProperty("image").GetString());
        Assert.Equal(["terminal", "jupyter", "ssh"], python.GetProperty("apps").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(1, python.GetProperty("agents").GetInt32());
        Assert.Equal("base:1", Assert.Single(environments["base"].GetProperty("versions").EnumerateArray()).GetProperty("image").GetString());
    }

    [Fact]
    public async Task Unknown_image_is_400_naming_the_available_ones_and_creates_nothing()
    {
        using var carol = factory.ClientWithKey(GatewayFactory.CarolKey);

        using var response = await carol.PostAsJsonAsync("/v1/sessions", new { image = "tensorflow:2.15", resources = new { cpu = 1, memory = "1g" } });

        var problem = await Api.AssertValidationProblem(response, "image");
        var message = problem.GetProperty("errors").GetProperty("image")[0].GetString()!;
        Assert.Contains("tensorflow:2.15", message);
        Assert.Contains("python:3.11", message);
        Assert.Contains("base:1", message);
        Assert.Empty(await Api.ListIds(carol));
    }
}
