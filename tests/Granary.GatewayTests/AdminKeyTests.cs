using System.Net;

namespace Granary.GatewayTests;

/// <summary>Without Granary:Auth:AdminKey the gateway generates a key at first start, saves it, and reuses it.</summary>
[Collection(GatewayCollection.Name)]
public sealed class AdminKeyTests
{
    [Fact]
    public async Task Generated_admin_key_is_saved_and_reused_after_a_restart()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "granary-admin-key-" + Guid.NewGuid().ToString("N"));
        var keyFile = Path.Combine(dataDirectory, "admin-key");
        try
        {
            string key;
            await using (var first = GatewayFactory.WithGeneratedAdminKey(dataDirectory))
            {
                using var anonymous = first.ClientWithKey(null);
                Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/healthz")).StatusCode);
                key = (await File.ReadAllTextAsync(keyFile)).Trim();
                Assert.StartsWith("gra_", key);
                Assert.True(key.Length >= 40, key);
                if (!OperatingSystem.IsWindows())
                {
                    Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
                }

                using var admin = first.ClientWithKey(key);
                Assert.Equal("admin", (await Api.GetJson(admin, "/v1/me")).GetProperty("role").GetString());
                using var configured = first.ClientWithKey(GatewayFactory.AdminKey);
                await Api.AssertProblem(await configured.GetAsync("/v1/me"), HttpStatusCode.Unauthorized);
            }

            await using var second = GatewayFactory.WithGeneratedAdminKey(dataDirectory);
            using var again = second.ClientWithKey(key);
            Assert.Equal("admin", (await Api.GetJson(again, "/v1/me")).GetProperty("role").GetString());
            Assert.Equal(key, (await File.ReadAllTextAsync(keyFile)).Trim());
        }
        finally
        {
            if (Directory.Exists(dataDirectory))
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
        }
    }
}
