using System.Net;
using Granary.Agents;
using Granary.Agents.Runtime;
using Granary.Silo.Adapters.Simulated;
using Microsoft.Extensions.DependencyInjection;

namespace Granary.GatewayTests;

/// <summary>A node whose container engine fails an operation: the request answers 503 with Retry-After (not a 500), and
/// the operation completes once the engine works, whether the client sends it again or not, leaving nothing behind.</summary>
[Collection(GatewayCollection.Name)]
public sealed class RuntimeFailureTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_delete_the_engine_fails_answers_503_and_is_carried_out_whether_or_not_it_is_sent_again(bool sentAgain)
    {
        await using var factory = GatewayFactory.WithServices(services => services.AddSingleton<IContainerRuntime>(
            sp => new FailingRemovals(sp.GetRequiredService<SimulatedContainerRuntime>())));
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        var id = (await Api.CreateSession(alice, Api.SmallSession("engine-fails"))).GetProperty("id").GetString()!;
        await Api.WaitForStatus(alice, id, "RUNNING");
        var runtime = Assert.IsType<FailingRemovals>(factory.Services.GetRequiredService<IContainerRuntime>());

        runtime.FailNext(1);
        using (var failed = await alice.DeleteAsync($"/v1/sessions/{id}"))
        {
            await Api.AssertProblem(failed, HttpStatusCode.ServiceUnavailable);
            Assert.NotNull(failed.Headers.RetryAfter);
        }
        if (sentAgain)
        {
            Assert.Equal("TERMINATING", (await Api.GetJson(alice, $"/v1/sessions/{id}")).GetProperty("status").GetString());
            Assert.Single(await ContainersOf(runtime, id));
            using var again = await alice.DeleteAsync($"/v1/sessions/{id}");
            Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        }

        // Otherwise the session asks its agent again by itself. Either way the container goes and the share is freed.
        var ended = await Api.WaitForStatus(alice, id, "TERMINATED");
        Assert.Equal("terminated", ended.GetProperty("statusReason").GetString());
        Assert.Empty(await ContainersOf(runtime, id));
        using var admin = factory.ClientWithKey(GatewayFactory.AdminKey);
        var agent = await Api.GetJson(admin, $"/v1/agents/{TestCluster.NodeId}");
        Assert.DoesNotContain(agent.GetProperty("allocations").EnumerateArray(), a => a.GetProperty("sessionId").GetString() == id);
    }

    private static Task<IReadOnlyList<ContainerInfo>> ContainersOf(FailingRemovals runtime, string sessionId) =>
        runtime.List(new Dictionary<string, string> { [ContainerLabels.Session] = sessionId }, CancellationToken.None);
}
