using System.Net;
using System.Net.Http.Json;
using Granary.Gateway.Browser;

namespace Granary.GatewayTests;

/// <summary>What a browser does with Granary's cookies, step by step, with the cookies kept by the test.</summary>
public static class Browsers
{
    /// <summary>Signs in as the UI does; returns the Cookie header value that the browser would send afterwards.</summary>
    public static async Task<string> SignIn(HttpClient browser, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/auth/session") { Content = JsonContent.Create(new { key }) };
        request.Headers.Add(BrowserCookies.CsrfHeader, "1");
        using var response = await browser.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"sign-in: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return Cookie(response, BrowserCookies.Ui);
    }

    /// <summary>
    /// Opens an app as the UI does: the link from POST /v1/sessions/{id}/open/{app} (by a client that is signed in
    /// somehow), then the app origin's ticket exchange. Returns the app origin and its Cookie header value.
    /// </summary>
    public static async Task<(string Origin, string Cookie)> OpenApp(
        HttpClient signedIn, HttpClient browser, string id, string app, string query = "", Action<HttpRequestMessage>? asBrowser = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/sessions/{id}/open/{app}{query}");
        asBrowser?.Invoke(request);
        using var link = await signedIn.SendAsync(request);
        var json = await Api.ReadJson(link);
        Assert.True(link.StatusCode == HttpStatusCode.OK, $"open: {(int)link.StatusCode} {json}");
        var url = new Uri(json.GetProperty("url").GetString()!);
        Assert.Equal($"{id}.apps.localhost", url.Host);
        Assert.Equal(AppLinksApi.EnterPath, url.AbsolutePath);

        using var enter = await browser.GetAsync(url);
        Assert.True(enter.StatusCode == HttpStatusCode.Redirect, $"enter: {(int)enter.StatusCode} {await enter.Content.ReadAsStringAsync()}");
        Assert.Equal($"/v1/sessions/{id}/apps/{app}/", enter.Headers.Location?.OriginalString);
        return (url.GetLeftPart(UriPartial.Authority), Cookie(enter, BrowserCookies.App));
    }

    /// <summary>"name=value" of the one Set-Cookie for that cookie, after checking it is HttpOnly, host-only, path /.</summary>
    public static string Cookie(HttpResponseMessage response, string name)
    {
        var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(name + "=", StringComparison.Ordinal));
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/;", setCookie + ";", StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("domain=", setCookie, StringComparison.OrdinalIgnoreCase);
        return setCookie.Split(';')[0];
    }

    public static HttpRequestMessage Request(HttpMethod method, string url, string? cookie, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(method, url);
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return request;
    }
}
