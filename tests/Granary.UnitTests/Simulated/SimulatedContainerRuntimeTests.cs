using Granary.Agents;
using Granary.Agents.Runtime;
using Granary.Silo.Adapters.Simulated;
using Microsoft.Extensions.Options;

namespace Granary.UnitTests.Simulated;

/// <summary>Listing by label finds exactly the matching containers, through the session index or a full scan.</summary>
public sealed class SimulatedContainerRuntimeTests
{
    private readonly SimulatedContainerRuntime _runtime = new(Options.Create(new SimulatedRuntimeOptions()), TimeProvider.System);

    private Task<string> Create(string session, string node) => _runtime.Create(new ContainerSpec(
        $"c-{session}", "python:3.11", null, new Dictionary<string, string>(),
        new Dictionary<string, string> { [ContainerLabels.Session] = session, [ContainerLabels.Node] = node },
        1000, 1L << 30, 0, [], [], []), CancellationToken.None);

    private async Task<string[]> Ids(Dictionary<string, string> filter) =>
        [.. (await _runtime.List(filter, CancellationToken.None)).Select(c => c.Id).Order()];

    [Fact]
    public async Task Lists_a_sessions_containers_by_every_label_and_forgets_removed_ones()
    {
        var a1 = await Create("s-a", "n1");
        var a2 = await Create("s-a", "n2");
        var b = await Create("s-b", "n1");

        Assert.Equal(new[] { a1, a2 }.Order(), await Ids(new() { [ContainerLabels.Session] = "s-a" }));
        Assert.Equal([a1], await Ids(new() { [ContainerLabels.Session] = "s-a", [ContainerLabels.Node] = "n1" }));
        Assert.Equal(new[] { a1, b }.Order(), await Ids(new() { [ContainerLabels.Node] = "n1" }));
        Assert.Empty(await Ids(new() { [ContainerLabels.Session] = "s-none" }));

        await _runtime.Remove(a1, CancellationToken.None);
        await _runtime.Remove(a2, CancellationToken.None);

        Assert.Empty(await Ids(new() { [ContainerLabels.Session] = "s-a" }));
        Assert.Equal([b], await Ids(new() { [ContainerLabels.Node] = "n1" }));
    }
}
