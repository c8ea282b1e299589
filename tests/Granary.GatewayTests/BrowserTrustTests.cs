using System.Net;
using System.Net.Http.Json;
using Granary.Gateway.Browser;

namespace Granary.GatewayTests;

/// <summary>
/// The browser's side of trust, tried as an attacker would: the UI holds no key, its cookie needs same-origin requests
/// with the CSRF header, apps live on their own origin with their own cookie, and an app page cannot reach the UI's
/// credentials, the REST API as its viewer, another session, or the wider site through response headers.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class BrowserTrustTests(GatewayFactory factory)
{
    private static readonly (string, string) Csrf = (BrowserCookies.CsrfHeader, "1");

    [Fact]
    public async Task Sign_in_gives_an_http_only_strict_cookie_that_holds_no_key_and_sign_out_clears_it()
    {
        using var browser = factory.Browser();
        using (var noHeader = await browser.PostAsJsonAsync("/v1/auth/session", new { key = GatewayFactory.AliceKey }))
        {
            await Api.AssertProblem(noHeader, HttpStatusCode.Forbidden);
            Assert.False(noHeader.Headers.Contains("Set-Cookie"));
        }

        using (var wrong = await browser.SendAsync(WithJson(Browsers.Request(HttpMethod.Post, "/v1/auth/session", null, Csrf), new { key = "not-a-key-of-anyone" })))
        {
            await Api.AssertProblem(wrong, HttpStatusCode.Unauthorized);
        }

        using var request = WithJson(Browsers.Request(HttpMethod.Post, "/v1/auth/session", null, Csrf), new { key = GatewayFactory.AliceKey });
        using var signIn = await browser.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        var setCookie = Assert.Single(signIn.Headers.GetValues("Set-Cookie"));
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(GatewayFactory.AliceKey, setCookie);
        var cookie = Browsers.Cookie(signIn, BrowserCookies.Ui);

        var me = await Api.ReadJson(await browser.SendAsync(Browsers.Request(HttpMethod.Get, "/v1/me", cookie)));
        Assert.Equal("alice", me.GetProperty("name").GetString());
        using var tampered = await browser.SendAsync(Browsers.Request(HttpMethod.Get, "/v1/me", cookie[..^4] + "AAAA"));
        await Api.AssertProblem(tampered, HttpStatusCode.Unauthorized);

        using var signOut = await browser.SendAsync(Browsers.Request(HttpMethod.Delete, "/v1/auth/session", cookie, Csrf));
        Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
        Assert.StartsWith($"{BrowserCookies.Ui}=;", Assert.Single(signOut.Headers.GetValues("Set-Cookie")));
    }

    [Fact]
    public async Task On_https_the_sign_in_cookie_is_secure_and_host_prefixed()
    {
        using var browser = factory.Browser();
        using var request = WithJson(Browsers.Request(HttpMethod.Post, "https://localhost/v1/auth/session", null, Csrf), new { key = GatewayFactory.AliceKey });
        using var signIn = await browser.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        var setCookie = Assert.Single(signIn.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith($"__Host-{BrowserCookies.Ui}=", setCookie);
        Assert.Contains("secure", setCookie, StringComparison.OrdinalIgnoreCase);
        var cookie = Browsers.Cookie(signIn, $"__Host-{BrowserCookies.Ui}");

        var me = await Api.ReadJson(await browser.SendAsync(Browsers.Request(HttpMethod.Get, "https://localhost/v1/me", cookie)));
        Assert.Equal("alice", me.GetProperty("name").GetString());
        await Api.AssertProblem(await browser.SendAsync(Browsers.Request(HttpMethod.Get, "http://localhost/v1/me", cookie)), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_ui_cookie_works_only_from_the_uis_own_pages_and_changes_nothing_without_the_csrf_header()
    {
        using var browser = factory.Browser();
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        var cookie = await Browsers.SignIn(browser, GatewayFactory.AliceKey);
        var folder = $"csrf-{Guid.NewGuid():N}"[..20];

        // A form or fetch from elsewhere: no custom header, another site, another origin. Nothing is created.
        foreach (var headers in new[] { Array.Empty<(string, string)>(), [Csrf, ("Sec-Fetch-Site", "same-site")], [Csrf, ("Origin", "http://evil.example")] })
        {
            using var forged = await browser.SendAsync(WithJson(Browsers.Request(HttpMethod.Post, "/v1/folders", cookie, headers), new { name = folder }));
            await Api.AssertProblem(forged, HttpStatusCode.Forbidden);
        }

        using var read = await browser.SendAsync(Browsers.Request(HttpMethod.Get, "/v1/sessions", cookie, ("Sec-Fetch-Site", "cross-site")));
        await Api.AssertProblem(read, HttpStatusCode.Forbidden);
        await Api.AssertProblem(await alice.GetAsync($"/v1/folders/{folder}"), HttpStatusCode.NotFound);

        using var own = await browser.SendAsync(WithJson(
            Browsers.Request(HttpMethod.Post, "/v1/folders", cookie, Csrf, ("Sec-Fetch-Site", "same-origin"), ("Origin", "http://localhost")), new { name = folder }));
        Assert.Equal(HttpStatusCode.Created, own.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await alice.DeleteAsync($"/v1/folders/{folder}")).StatusCode);
    }

    [Fact]
    public async Task Apps_open_on_their_own_origin_with_a_one_use_ticket_and_a_cookie_for_that_session_only()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        using var browser = factory.Browser();
        var uiCookie = await Browsers.SignIn(browser, GatewayFactory.AliceKey);
        var (id, port) = await Api.RunningSessionWithJupyter(factory, alice);
        var (other, _) = await Api.RunningSessionWithJupyter(factory, alice);
        await using var app = await FakeApp.Start(port);

        // The UI's cookie never opens an app, on the UI origin or (were a browser to send it) on the app origin.
        await Api.AssertProblem(await browser.SendAsync(Browsers.Request(HttpMethod.Get, $"/v1/sessions/{id}/apps/jupyter/", uiCookie)), HttpStatusCode.Forbidden);
        await Api.AssertProblem(await browser.SendAsync(Browsers.Request(HttpMethod.Get, $"http://{id}.apps.localhost/v1/sessions/{id}/apps/jupyter/", uiCookie)), HttpStatusCode.Unauthorized);

        // The UI asks for a link (signed in by its cookie, with the CSRF header) and opens it.
        var (origin, appCookie) = await Browsers.OpenApp(browser, browser, id, "jupyter", asBrowser: r =>
        {
            r.Headers.Add("Cookie", uiCookie);
            r.Headers.Add(BrowserCookies.CsrfHeader, "1");
        });
        Assert.DoesNotContain(GatewayFactory.AliceKey, appCookie);
        using var page = await browser.SendAsync(Browsers.Request(HttpMethod.Get, $"{origin}/v1/sessions/{id}/apps/jupyter/tree", appCookie));
        var seen = await Api.ReadJson(page);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal($"{id}.apps.localhost", seen.GetProperty("host").GetString());
        Assert.Equal("", seen.GetProperty("cookie").GetString());
        Assert.Equal("", seen.GetProperty("authorization").GetString());

        // The cookie opens nothing else: another session's origin, that session's path here, the REST API, the UI.
        await Api.AssertProblem(await browser.SendAsync(Browsers.Request(HttpMethod.Get, $"http://{other}.apps.localhost/v1/sessions/{other}/apps/jupyter/", appCookie)), HttpStatusCode.Unauthorized);
        await Api.AssertProblem(await browser.SendAsync(Browsers.Request(HttpMethod.Get, $"{origin}/v1/sessions/{other}/apps/jupyter/", appCookie)), HttpStatusCode.NotFound);
        await Api.AssertProblem(await browser.SendAsync(Browsers.Request(HttpMethod.Get, $"{origin}/v1/sessions", appCookie)), HttpStatusCode.NotFound);
        await Api.AssertProblem(await browser.SendAsync(Browsers.Request(HttpMethod.Get, $"{origin}/v1/me", appCookie)), HttpStatusCode.NotFound);
        await Api.AssertProblem(await browser.SendAsync(Browsers.Request(HttpMethod.Get, $"{origin}/index.html", appCookie)), HttpStatusCode.NotFound);
        await Api.AssertProblem(await browser.SendAsync(Browsers.Request(HttpMethod.Get, "/v1/me", appCookie)), HttpStatusCode.Unauthorized);

        // A link works once.
        using var second = await browser.PostAsync($"/v1/sessions/{id}/open/jupyter", null);
        await Api.AssertProblem(second, HttpStatusCode.Unauthorized);
        using var linkRequest = Browsers.Request(HttpMethod.Post, $"/v1/sessions/{id}/open/jupyter", uiCookie, Csrf);
        var url = (await Api.ReadJson(await browser.SendAsync(linkRequest))).GetProperty("url").GetString()!;
        await Api.AssertProblem(await browser.GetAsync(url.Replace($"//{id}.", $"//{other}.")), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync(url)).StatusCode);
        await Api.AssertProblem(await browser.GetAsync(url), HttpStatusCode.Forbidden);

        await alice.DeleteAsync($"/v1/sessions/{id}");
        await alice.DeleteAsync($"/v1/sessions/{other}");
    }

    [Fact]
    public async Task A_malicious_app_page_reaches_neither_the_viewers_credentials_nor_the_api_nor_other_sessions()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        using var browser = factory.Browser();
        var (id, port) = await Api.RunningSessionWithJupyter(factory, alice);
        var (other, _) = await Api.RunningSessionWithJupyter(factory, alice);
        await using var app = await FakeApp.Start(port);
        var (origin, appCookie) = await Browsers.OpenApp(alice, browser, id, "jupyter");
        var (otherOrigin, otherCookie) = await Browsers.OpenApp(alice, browser, other, "jupyter");

        // Headers that would reach past the app's own origin are gone; its own host-only cookie stays.
        using var evil = await browser.SendAsync(Browsers.Request(HttpMethod.Get, $"{origin}/v1/sessions/{id}/apps/jupyter/evil-headers", appCookie));
        Assert.Equal(HttpStatusCode.OK, evil.StatusCode);
        Assert.Equal(["own=1; Path=/; HttpOnly"], evil.Headers.GetValues("Set-Cookie"));
        Assert.False(evil.Headers.Contains("Service-Worker-Allowed"));
        Assert.False(evil.Headers.Contains("Clear-Site-Data"));

        // Its scripts run on its origin: the REST API is not there, and the UI's origin refuses its calls (no cookie
        // of the UI reaches another site; SameSite=Strict and the same-origin checks refuse even when one would).
        await Api.AssertProblem(await browser.SendAsync(Browsers.Request(HttpMethod.Post, $"{origin}/v1/sessions", appCookie, Csrf)), HttpStatusCode.NotFound);
        var uiCookie = await Browsers.SignIn(browser, GatewayFactory.AliceKey);
        using var asViewer = await browser.SendAsync(WithJson(
            Browsers.Request(HttpMethod.Post, "/v1/folders", uiCookie, Csrf, ("Origin", origin), ("Sec-Fetch-Site", "cross-site")), new { name = "stolen" }));
        await Api.AssertProblem(asViewer, HttpStatusCode.Forbidden);

        // Another session's page (same site: every app origin shares the apps domain) calling this app with the
        // viewer's cookie: fetches, posts and WebSockets are refused; only a plain navigation opens it.
        using var fetch = await browser.SendAsync(Browsers.Request(HttpMethod.Post, $"{otherOrigin}/v1/sessions/{other}/apps/jupyter/api/kernels", otherCookie,
            ("Origin", origin), ("Sec-Fetch-Site", "same-site"), ("Sec-Fetch-Mode", "cors")));
        await Api.AssertProblem(fetch, HttpStatusCode.Forbidden);
        using var noMetadata = await browser.SendAsync(Browsers.Request(HttpMethod.Post, $"{otherOrigin}/v1/sessions/{other}/apps/jupyter/api/kernels", otherCookie, ("Origin", origin)));
        await Api.AssertProblem(noMetadata, HttpStatusCode.Forbidden);
        using var navigation = await browser.SendAsync(Browsers.Request(HttpMethod.Get, $"{otherOrigin}/v1/sessions/{other}/apps/terminal/", otherCookie,
            ("Sec-Fetch-Site", "same-site"), ("Sec-Fetch-Mode", "navigate")));
        Assert.Equal(HttpStatusCode.OK, navigation.StatusCode);
        Assert.Contains("script-src 'self'", navigation.Headers.GetValues("Content-Security-Policy").Single());

        await alice.DeleteAsync($"/v1/sessions/{id}");
        await alice.DeleteAsync($"/v1/sessions/{other}");
    }

    [Fact]
    public async Task An_admin_opens_another_users_app_only_when_asking_explicitly_and_it_is_audited()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        using var bob = factory.ClientWithKey(GatewayFactory.BobKey);
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        using var browser = factory.Browser();
        var (id, port) = await Api.RunningSessionWithJupyter(factory, alice);
        await using var app = await FakeApp.Start(port);

        await Api.AssertProblem(await bob.PostAsync($"/v1/sessions/{id}/open/jupyter?asAdmin=true", null), HttpStatusCode.NotFound);
        await Api.AssertProblem(await admin.PostAsync($"/v1/sessions/{id}/open/jupyter", null), HttpStatusCode.Forbidden);
        Assert.DoesNotContain(factory.Audit.Messages, m => m.Contains(id));

        var (origin, cookie) = await Browsers.OpenApp(admin, browser, id, "jupyter", "?asAdmin=true");
        Assert.Contains(factory.Audit.Messages, m => m.Contains("admin") && m.Contains(id) && m.Contains("alice"));
        using var page = await browser.SendAsync(Browsers.Request(HttpMethod.Get, $"{origin}/v1/sessions/{id}/apps/jupyter/", cookie));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);

        await alice.DeleteAsync($"/v1/sessions/{id}");
    }

    [Fact]
    public async Task The_ui_is_served_with_a_content_security_policy_and_no_framing()
    {
        using var browser = factory.Browser();
        using var page = await browser.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var policy = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'self'", policy);
        Assert.Contains("script-src 'self';", policy);
        Assert.Contains("frame-ancestors 'none'", policy);
        Assert.DoesNotContain("unsafe", policy);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
    }

    private static HttpRequestMessage WithJson(HttpRequestMessage request, object body)
    {
        request.Content = JsonContent.Create(body);
        return request;
    }
}
