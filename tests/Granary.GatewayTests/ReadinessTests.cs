using System.Net;
using Granary.Gateway.Health;
using Granary.Silo.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Granary.GatewayTests;

[Collection(GatewayCollection.Name)]
public sealed class ReadinessTests(GatewayFactory factory)
{
    [Fact]
    public async Task Readyz_is_ready_with_every_check_named_once_the_agent_registered()
    {
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        await Api.WaitForAgents(admin, 1);
        using var anonymous = factory.ClientWithKey(null);

        var ready = await Api.GetJson(anonymous, "/readyz");

        Assert.Equal("ready", ready.GetProperty("status").GetString());
        var checks = ready.GetProperty("checks");
        foreach (var name in new[] { "cluster", "storage", "agents" })
        {
            Assert.Equal("ok", checks.GetProperty(name).GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task Readyz_is_503_naming_the_agents_check_when_the_all_in_one_has_no_agent()
    {
        await using var managerOnly = GatewayFactory.AllInOneWith(new Dictionary<string, string?> { ["Granary:Roles"] = "manager" });
        using var anonymous = managerOnly.ClientWithKey(null);

        using var response = await anonymous.GetAsync("/readyz");

        await Api.AssertProblem(response, HttpStatusCode.ServiceUnavailable);
        var problem = await Api.ReadJson(response);
        Assert.Contains("agents: no agent has registered yet", problem.GetProperty("detail").GetString());
        Assert.Equal("failing", problem.GetProperty("checks").GetProperty("agents").GetProperty("status").GetString());
        Assert.Equal("ok", problem.GetProperty("checks").GetProperty("cluster").GetProperty("status").GetString());
        // Alive all the same: /healthz says the process answers.
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task Storage_check_fails_when_postgres_is_unreachable_without_showing_the_password()
    {
        var options = new GranaryHostOptions
        {
            GrainStorage = "adonet",
            Database = { ConnectionString = "Host=127.0.0.1;Port=1;Username=granary;Password=s3cret-pw;Database=none;Timeout=2" },
        };

        var result = await new StorageReadinessCheck(options).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.StartsWith("PostgreSQL is unreachable", result.Description);
        Assert.DoesNotContain("s3cret-pw", result.Description);
    }

    [Fact]
    public async Task Storage_check_passes_for_memory_storage()
    {
        var result = await new StorageReadinessCheck(new GranaryHostOptions()).CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Healthy, result.Status);
    }
}
