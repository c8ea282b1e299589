using System.Net;

namespace Granary.GatewayTests;

[Collection(GatewayCollection.Name)]
public sealed class AppProxyTests(GatewayFactory factory)
{
    [Fact]
    public async Task Owner_reaches_the_sessions_http_app_without_leaking_the_api_key()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        var (id, port) = await Api.RunningSessionWithJupyter(factory, alice);
        await using var app = await FakeApp.Start(port);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/sessions/{id}/apps/jupyter/tree?x=1");
        request.Headers.Add("Cookie", "_xsrf=abc|123; granary_ui=x; granary_app=y");
        using var response = await alice.SendAsync(request);

        var seen = await Api.ReadJson(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"/v1/sessions/{id}/apps/jupyter/tree", seen.GetProperty("path").GetString());
        Assert.Equal("?x=1", seen.GetProperty("query").GetString());
        Assert.Equal("localhost", seen.GetProperty("host").GetString());
        Assert.Equal("", seen.GetProperty("authorization").GetString());
        Assert.Equal("_xsrf=abc|123", seen.GetProperty("cookie").GetString());

        await alice.DeleteAsync($"/v1/sessions/{id}");
    }

    [Fact]
    public async Task Other_users_unknown_apps_and_missing_keys_are_refused()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        using var bob = factory.ClientWithKey(GatewayFactory.BobKey);
        using var anonymous = factory.ClientWithKey(null);
        var (id, port) = await Api.RunningSessionWithJupyter(factory, alice);
        await using var app = await FakeApp.Start(port);

        await Api.AssertProblem(await bob.GetAsync($"/v1/sessions/{id}/apps/jupyter/"), HttpStatusCode.NotFound);
        await Api.AssertProblem(await anonymous.GetAsync($"/v1/sessions/{id}/apps/jupyter/"), HttpStatusCode.Unauthorized);
        await Api.AssertProblem(await alice.GetAsync($"/v1/sessions/{id}/apps/tensorboard/"), HttpStatusCode.NotFound);

        await alice.DeleteAsync($"/v1/sessions/{id}");
        await Api.WaitForStatus(alice, id, "TERMINATED");
        await Api.AssertProblem(await alice.GetAsync($"/v1/sessions/{id}/apps/jupyter/"), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Terminal_app_is_the_gateways_terminal_page_with_xterm()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        var (id, _) = await Api.RunningSessionWithJupyter(factory, alice);

        using var page = await alice.GetAsync($"/v1/sessions/{id}/apps/terminal/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("/vendor/xterm/lib/xterm.js", await page.Content.ReadAsStringAsync());
        using var redirect = await alice.GetAsync($"/v1/sessions/{id}/apps/terminal?x=1");
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.Equal($"/v1/sessions/{id}/apps/terminal/?x=1", redirect.Headers.Location?.OriginalString);

        using var anonymous = factory.ClientWithKey(null);
        foreach (var asset in new[] { "/vendor/xterm/lib/xterm.js", "/vendor/xterm/css/xterm.css", "/vendor/xterm-addon-fit/lib/addon-fit.js", "/terminal.js" })
        {
            using var response = await anonymous.GetAsync(asset);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{asset}: {(int)response.StatusCode}");
        }

        await alice.DeleteAsync($"/v1/sessions/{id}");
    }
}
