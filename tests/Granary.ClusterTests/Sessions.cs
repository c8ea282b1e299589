using Granary.Resources;
using Granary.Sessions;

namespace Granary.ClusterTests;

/// <summary>Creating and watching sessions from a test.</summary>
public static class Sessions
{
    public const long GiB = 1024L * 1024 * 1024;

    public static SessionSpec Spec(string group, long cpuMilli = 1000, long memoryBytes = GiB, int gpus = 0, long fgpuMilli = 0,
        string image = "python:3.11", SessionType type = SessionType.Interactive, string owner = "alice") =>
        new(Name: "test", Owner: owner, Image: image, Type: type,
            Resources: new ResourceRequest(cpuMilli, memoryBytes, gpus, fgpuMilli),
            ResourceGroup: group, Mounts: [], Env: []);

    public static async Task<ISessionGrain> Create(IClusterClient client, SessionSpec spec)
    {
        var session = client.GetGrain<ISessionGrain>(Guid.NewGuid().ToString("N"));
        await session.Create(spec);
        return session;
    }

    public static Task<SessionView> WaitFor(ISessionGrain session, SessionStatus status) =>
        Eventually.Value(async () => (await session.Get())!, v => v.Status == status,
            $"session {session.GetPrimaryKeyString()} reaches {status}");
}
