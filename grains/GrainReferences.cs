using System.Collections.Concurrent;

namespace Granary;

/// <summary>
/// GetGrain&lt;T&gt;(key) without its per-call cost: Orleans resolves the interface's grain interface type by
/// reflection (custom attributes) on every call, which was about 5 % of all CPU time in the throughput benchmark.
/// The interface and grain types are resolved once per interface here.
/// </summary>
public static class GrainReferences
{
    private static readonly ConcurrentDictionary<Type, (GrainInterfaceType Interface, GrainType Grain)> Types = new();

    public static T Ref<T>(this IGrainFactory factory, string key) where T : IGrainWithStringKey
    {
        if (Types.TryGetValue(typeof(T), out var types))
        {
            return (T)factory.GetGrain(GrainId.Create(types.Grain, key), types.Interface);
        }
        var grain = factory.GetGrain<T>(key);
        var reference = (GrainReference)(object)grain;
        Types.TryAdd(typeof(T), (reference.InterfaceType, reference.GrainId.Type));
        return grain;
    }
}
