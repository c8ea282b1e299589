using Granary.Gateway.Hosting;

namespace Granary.GatewayTests;

public sealed class StartupBannerTests
{
    [Fact]
    public void The_admin_key_is_printed_only_when_it_was_just_generated()
    {
        const string key = "gra_secret-value";
        Assert.Contains(key, StartupBanner.AdminKeyLine("generated", key, "/data/admin-key"));
        Assert.Equal("Admin API key: stored in /data/admin-key", StartupBanner.AdminKeyLine("file", key, "/data/admin-key"));
        Assert.DoesNotContain(key, StartupBanner.AdminKeyLine("configuration", key, "/data/admin-key"));
    }
}
