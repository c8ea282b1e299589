using System.Net;
using System.Text.Json;
using Granary.Sessions;
using Microsoft.Extensions.DependencyInjection;

namespace Granary.GatewayTests;

[Collection(GatewayCollection.Name)]
public sealed class AppProxyTests(GatewayFactory factory)
{
    [Fact]
    public async Task Owner_reaches_the_sessions_http_app_without_leaking_the_api_key()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        var (id, port) = await RunningSessionWithJupyter(alice);
        await using var app = await FakeApp.Start(port);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/sessions/{id}/apps/jupyter/tree?x=1");
        request.Headers.Add("Cookie", $"_xsrf=abc|123; granary_key={GatewayFactory.AliceKey}");
        using var response = await alice.SendAsync(request);

        var seen = await Api.ReadJson(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"/v1/sessions/{id}/apps/jupyter/tree", seen.GetProperty("path").GetString());
        Assert.Equal("?x=1", seen.GetProperty("query").GetString());
        Assert.Equal("localhost", seen.GetProperty("host").GetString());
        // The app gets the session's app secret (which only the proxy knows), never the user's key.
        var authorization = seen.GetProperty("authorization").GetString()!;
        Assert.Matches("^token [0-9a-f]{64}$", authorization);
        Assert.DoesNotContain(GatewayFactory.AliceKey, authorization);
        Assert.Equal("_xsrf=abc|123", seen.GetProperty("cookie").GetString());

        await alice.DeleteAsync($"/v1/sessions/{id}");
    }

    [Fact]
    public async Task Other_users_unknown_apps_and_missing_keys_are_refused()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        using var bob = factory.ClientWithKey(GatewayFactory.BobKey);
        using var anonymous = factory.ClientWithKey(null);
        var (id, port) = await RunningSessionWithJupyter(alice);
        await using var app = await FakeApp.Start(port);

        await Api.AssertProblem(await bob.GetAsync($"/v1/sessions/{id}/apps/jupyter/"), HttpStatusCode.NotFound);
        await Api.AssertProblem(await anonymous.GetAsync($"/v1/sessions/{id}/apps/jupyter/"), HttpStatusCode.Unauthorized);
        await Api.AssertProblem(await alice.GetAsync($"/v1/sessions/{id}/apps/tensorboard/"), HttpStatusCode.NotFound);

        await alice.DeleteAsync($"/v1/sessions/{id}");
        await Api.WaitForStatus(alice, id, "TERMINATED");
        await Api.AssertProblem(await alice.GetAsync($"/v1/sessions/{id}/apps/jupyter/"), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task The_key_cookie_opens_apps_but_not_the_rest_api_nor_other_sites()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        using var browser = factory.ClientWithKey(null);
        var (id, port) = await RunningSessionWithJupyter(alice);
        await using var app = await FakeApp.Start(port);

        using var set = await alice.PostAsync("/v1/auth/cookie", null);
        Assert.Equal(HttpStatusCode.NoContent, set.StatusCode);
        var setCookie = Assert.Single(set.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith($"granary_key={GatewayFactory.AliceKey};", setCookie);
        Assert.Contains("path=/v1/sessions/", setCookie);
        Assert.Contains("samesite=strict", setCookie);
        Assert.Contains("httponly", setCookie);

        Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(WithCookie($"/v1/sessions/{id}/apps/jupyter/", origin: null))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(WithCookie($"/v1/sessions/{id}/apps/jupyter/", "http://localhost"))).StatusCode);
        await Api.AssertProblem(await browser.SendAsync(WithCookie($"/v1/sessions/{id}/apps/jupyter/", "http://evil.example")), HttpStatusCode.Forbidden);
        await Api.AssertProblem(await browser.SendAsync(WithCookie($"/v1/sessions/{id}", origin: null)), HttpStatusCode.Unauthorized);

        using var deleted = await browser.DeleteAsync("/v1/auth/cookie");
        Assert.Contains("granary_key=;", Assert.Single(deleted.Headers.GetValues("Set-Cookie")));
        await alice.DeleteAsync($"/v1/sessions/{id}");
    }

    [Fact]
    public async Task Terminal_app_is_the_gateways_terminal_page_with_xterm()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        var (id, _) = await RunningSessionWithJupyter(alice);

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

    private static HttpRequestMessage WithCookie(string path, string? origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", $"granary_key={GatewayFactory.AliceKey}");
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        return request;
    }

    /// <summary>A running session of an image serving jupyter, and the host port the simulated agent gave it.</summary>
    private async Task<(string Id, int Port)> RunningSessionWithJupyter(HttpClient client)
    {
        var id = (await Api.CreateSession(client, Api.SmallSession("proxy"))).GetProperty("id").GetString()!;
        await Api.WaitForStatus(client, id, "RUNNING");
        var view = await factory.Services.GetRequiredService<IGrainFactory>().GetGrain<ISessionGrain>(id).Get();
        return (id, view!.Apps.Single(a => a.Name == "jupyter").Port);
    }
}
