using System.Net;
using System.Net.Http.Json;
using Granary.Agents;
using Microsoft.Extensions.DependencyInjection;

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

    [Fact]
    public async Task An_image_reported_after_the_gateway_looked_is_accepted_at_once()
    {
        // Its own cluster: the catalog changes, and the gateway keeps a copy of it that a miss must refresh.
        await using var cluster = new GatewayFactory();
        using var carol = cluster.ClientWithKey(GatewayFactory.CarolKey);
        // Until an agent reports, the gateway accepts any image; this cluster's agent reports shortly after it starts.
        await Eventually.True(async () => (await Api.GetJson(carol, "/v1/images")).GetArrayLength() > 0, "the agent's images are listed");
        var request = new { image = "tensorflow:2.15", resources = new { cpu = 1, memory = "1g" } };
        using var before = await carol.PostAsJsonAsync("/v1/sessions", request);
        await Api.AssertValidationProblem(before, "image");

        await cluster.Services.GetRequiredService<IGrainFactory>().GetGrain<IImageCatalogGrain>(IImageCatalogGrain.Key)
            .Report("late-agent", [new ImageDescriptor("tensorflow:2.15", "tensorflow", "2.15", [])]);
        using var after = await carol.PostAsJsonAsync("/v1/sessions", request);

        Assert.Equal(HttpStatusCode.Created, after.StatusCode);
        Assert.Single(await Api.ListIds(carol));
    }
}
