using System.Collections.Immutable;
using Microsoft.Extensions.Options;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace Granary.SiloPlacement;

/// <summary>
/// Finds a compatible silo whose metadata matches. Other silos' metadata reaches the local cache
/// asynchronously after they join, so a miss is retried for a while before it becomes an error.
/// </summary>
public sealed class SiloFinder(
    ISiloMetadataCache cache,
    ILocalSiloDetails localSilo,
    IOptions<SiloMetadata> localMetadata,
    TimeProvider time)
{
    public static readonly TimeSpan PropagationWait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    public async Task<SiloAddress> Find(
        IPlacementContext context,
        PlacementTarget target,
        Func<IReadOnlyDictionary<string, string>, bool> matches,
        bool preferLocal,
        string whatIsMissing)
    {
        var deadline = time.GetUtcNow() + PropagationWait;
        while (true)
        {
            var candidates = context.GetCompatibleSilos(target).Where(silo => matches(MetadataOf(silo))).ToArray();
            if (candidates.Length > 0)
            {
                if (preferLocal && candidates.Contains(context.LocalSilo))
                {
                    return context.LocalSilo;
                }
                return candidates[Random.Shared.Next(candidates.Length)];
            }
            if (time.GetUtcNow() >= deadline)
            {
                throw new InvalidOperationException($"No silo found: {whatIsMissing}.");
            }
            await Task.Delay(Poll, time);
        }
    }

    private ImmutableDictionary<string, string> MetadataOf(SiloAddress silo) =>
        silo.Equals(localSilo.SiloAddress) ? localMetadata.Value.Metadata : cache.GetSiloMetadata(silo).Metadata;
}
