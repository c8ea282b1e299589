using Granary.Resources;
using Granary.Sessions;

namespace Granary.IntegrationTests.Sessions;

/// <summary>Creating sessions from a test and waiting for them.</summary>
public static class Session
{
    public const long MiB = 1024L * 1024;
    public const long GiB = 1024 * MiB;
    public const string Owner = "C-alice";

    public static SessionSpec Spec(
        string image = DockerFixture.PythonImage,
        SessionType type = SessionType.Interactive,
        long cpuMilli = 1000,
        long memoryBytes = GiB,
        string[]? command = null,
        MountSpec[]? mounts = null) =>
        new(Name: "it", Owner: Owner, Image: image, Type: type,
            Resources: new ResourceRequest(cpuMilli, memoryBytes),
            ResourceGroup: GranaryCluster.Group, Mounts: mounts ?? [], Env: [], Command: command);

    public static async Task<ISessionGrain> Create(IClusterClient client, SessionSpec spec)
    {
        var session = client.GetGrain<ISessionGrain>(Guid.NewGuid().ToString("N"));
        await session.Create(spec);
        return session;
    }

    public static Task<SessionView> WaitFor(ISessionGrain session, params SessionStatus[] statuses) =>
        Eventually.Value(async () => (await session.Get())!, view => statuses.Contains(view.Status),
            $"session {session.GetPrimaryKeyString()} reaches {string.Join(" or ", statuses)}");

    public static Task<SessionView> WaitUntil(ISessionGrain session, Func<SessionView, bool> accept) =>
        Eventually.Value(async () => (await session.Get())!, accept, $"session {session.GetPrimaryKeyString()} reaches the awaited state");

    /// <summary>Deletes the session and waits until it has ended.</summary>
    public static async Task<SessionView> Delete(ISessionGrain session)
    {
        await session.Terminate(force: false);
        return await WaitFor(session, SessionStatus.Terminated, SessionStatus.Error, SessionStatus.Cancelled);
    }
}
