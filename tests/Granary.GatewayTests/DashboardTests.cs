using System.Net;

namespace Granary.GatewayTests;

/// <summary>The Orleans dashboard at /dashboard/ on the gateway, for admins only.</summary>
[Collection(GatewayCollection.Name)]
public sealed class DashboardTests(GatewayFactory factory)
{
    [Theory]
    [InlineData("/dashboard/")]
    [InlineData("/dashboard/DashboardCounters")]
    public async Task Without_a_key_the_dashboard_is_401(string path)
    {
        using var anonymous = factory.ClientWithKey(null);
        using var response = await anonymous.GetAsync(path);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("/dashboard/")]
    [InlineData("/dashboard/DashboardCounters")]
    public async Task A_users_key_is_403(string path)
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        using var response = await alice.GetAsync(path);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task An_admin_sees_the_dashboard_and_its_cluster_counters()
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        using var page = await admin.GetAsync("/dashboard/");
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, $"{(int)page.StatusCode}: {html}");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<html", html, StringComparison.OrdinalIgnoreCase);
        // Its own policy (style attributes, data: fonts; tests/browser/ui-pages.js renders it without a violation),
        // while the UI keeps the strict one.
        Assert.Equal(Granary.Gateway.Browser.OriginSeparation.DashboardPolicy, page.Headers.GetValues("Content-Security-Policy").Single());
        using var ui = await admin.GetAsync("/");
        Assert.Equal(Granary.Gateway.Browser.OriginSeparation.UiPolicy, ui.Headers.GetValues("Content-Security-Policy").Single());

        using var counters = await admin.GetAsync("/dashboard/DashboardCounters");
        var json = await counters.Content.ReadAsStringAsync();
        Assert.True(counters.StatusCode == HttpStatusCode.OK, $"{(int)counters.StatusCode}: {json}");
        Assert.Contains("hosts", json, StringComparison.OrdinalIgnoreCase);
    }
}
