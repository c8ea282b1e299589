using System.Net;
using Granary.Agents;
using Granary.Agents.Runtime;
using Granary.Silo.Adapters.Simulated;
using Microsoft.Extensions.DependencyInjection;

namespace Granary.GatewayTests;

/// <summary>A node whose container engine fails an operation: the request answers 503 with Retry-After (not a 500), and
/// sent again once the engine works, it completes and leaves nothing behind.</summary>
[Collection(GatewayCollection.Name)]
public sealed class RuntimeFailureTests
{
    [Fact]
    public async Task A_delete_the_engine_fails_answers_503_and_sent_again_removes_the_container()
    {
        await using var factory = GatewayFactory.WithServices(services => services.AddSingleton<IContainerRuntime>(
            sp => new FailingRemovals(sp.GetRequiredService<SimulatedContainerRuntime>())));
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        var id = (await Api.CreateSession(alice, Api.SmallSession("engine-fails"))).GetProperty("id").GetString()!;
        await Api.WaitForStatus(alice, id, "RUNNING");
        var runtime = Assert.IsType<FailingRemovals>(factory.Services.GetRequiredService<IContainerRuntime>());
        var itsContainers = new Dictionary<string, string> { [ContainerLabels.Session] = id };

        runtime.FailNext(1);
        using (var failed = await alice.DeleteAsync($"/v1/sessions/{id}"))
        {
            await Api.AssertProblem(failed, HttpStatusCode.ServiceUnavailable);
            Assert.NotNull(failed.Headers.RetryAfter);
        }
        Assert.Equal("TERMINATING", (await Api.GetJson(alice, $"/v1/sessions/{id}")).GetProperty("status").GetString());
        Assert.Single(await runtime.List(itsContainers, CancellationToken.None));

        using (var again = await alice.DeleteAsync($"/v1/sessions/{id}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        }
        await Api.WaitForStatus(alice, id, "TERMINATED");
        Assert.Empty(await runtime.List(itsContainers, CancellationToken.None));
    }
}
