using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Granary.TestHelpers;

namespace Granary.Benchmarks.Soak;

/// <summary>The soak's users, and what must be gone at the end: the node's containers and session networks, its
/// allocations, every key but the one each user started with, every folder (in the API and on disk), and the users.</summary>
public sealed class LeakCheck(LocalGranary granary, string dockerHost, AgentRestarts restarts)
{
    private readonly Dictionary<string, string> _userIds = [];

    public async Task<SoakClient> NewUser(HttpClient admin, RequestLedger ledger, string name)
    {
        using var response = await admin.PostAsJsonAsync("/v1/users", new { name });
        response.EnsureSuccessStatusCode();
        var user = await response.Content.ReadFromJsonAsync<JsonElement>();
        _userIds[name] = user.GetProperty("id").GetString()!;
        return new SoakClient(granary, ledger, restarts, name, user.GetProperty("key").GetString()!);
    }

    /// <summary>What leaked (empty when nothing did). Removal is asynchronous, so each check may wait.</summary>
    public async Task<List<string>> Find(HttpClient admin, IReadOnlyList<SoakClient> clients)
    {
        var leaks = new List<string>();
        async Task Check(string what, Func<Task<bool>> gone)
        {
            try
            {
                await Eventually.True(gone, what);
            }
            catch (Exception e) when (e is TimeoutException or HttpRequestException)
            {
                leaks.Add($"{what}: {e.Message}");
            }
        }

        await Check("every session has ended", async () =>
            (await admin.GetFromJsonAsync<JsonElement>("/v1/sessions?all=true")).EnumerateArray()
                .All(s => s.GetProperty("status").GetString() is "TERMINATED" or "ERROR" or "CANCELLED"));
        await Check($"no container of node {granary.NodeId} is left", () => Task.FromResult(Docker("ps", "-aq", "--filter", $"label=granary.node={granary.NodeId}").Length == 0));
        await Check($"no session network of node {granary.NodeId} is left", () => Task.FromResult(Docker("network", "ls", "-q", "--filter", $"label=granary.node={granary.NodeId}").Length == 0));
        await Check($"node {granary.NodeId} holds no allocation", async () =>
            (await admin.GetFromJsonAsync<JsonElement>($"/v1/agents/{granary.NodeId}")).GetProperty("allocations").GetArrayLength() == 0);
        foreach (var client in clients)
        {
            await Check($"{client.Name} has only the key made with the user", async () =>
                (await admin.GetFromJsonAsync<JsonElement>($"/v1/users/{client.Name}/keys")).GetArrayLength() == 1);
            await Check($"{client.Name} has no folder", async () =>
                (await admin.GetFromJsonAsync<JsonElement>($"/v1/folders?owner={_userIds[client.Name]}")).GetArrayLength() == 0);
            var onDisk = Path.Combine(granary.FolderRoot, _userIds[client.Name]);
            await Check($"no folder of {client.Name} is left in {onDisk}", () =>
                Task.FromResult(!Directory.Exists(onDisk) || !Directory.EnumerateFileSystemEntries(onDisk).Any()));
            using var deleted = await admin.DeleteAsync($"/v1/users/{client.Name}");
            if (!deleted.IsSuccessStatusCode)
            {
                leaks.Add($"deleting user {client.Name}: {(int)deleted.StatusCode}");
            }
        }
        await Check("no soak user is left", async () =>
            !(await admin.GetFromJsonAsync<JsonElement>("/v1/users")).EnumerateArray()
                .Any(u => _userIds.ContainsKey(u.GetProperty("name").GetString()!)));
        return leaks;
    }

    private string[] Docker(params string[] args)
    {
        var info = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment["DOCKER_HOST"] = dockerHost;
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0
            ? output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            : throw new InvalidOperationException($"docker {string.Join(' ', args)} failed: {error}");
    }
}
