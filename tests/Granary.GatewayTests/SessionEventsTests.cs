using System.Net;
using System.Net.ServerSentEvents;
using System.Text.Json;

namespace Granary.GatewayTests;

[Collection(GatewayCollection.Name)]
public sealed class SessionEventsTests(GatewayFactory factory)
{
    [Fact]
    public async Task Events_stream_the_status_sequence_and_end_at_the_final_status()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        var id = (await Api.CreateSession(alice, Api.SmallSession("events"))).GetProperty("id").GetString()!;

        using var patience = new CancellationTokenSource(Api.Patience);
        using var response = await OpenStream(alice, id, lastEventId: null, patience.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);

        var events = new List<SseItem<string>>();
        await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync(patience.Token)).EnumerateAsync(patience.Token))
        {
            events.Add(item);
            if (Status(item) == "RUNNING")
            {
                using var deleted = await alice.DeleteAsync($"/v1/sessions/{id}", patience.Token);
                Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
            }
        }

        var statuses = events.Select(Status).ToList();
        Assert.Equal("PENDING", statuses[0]);
        Assert.Equal("TERMINATED", statuses[^1]);
        Assert.True(IsSubsequence(["PENDING", "SCHEDULED", "PREPARING", "RUNNING", "TERMINATING", "TERMINATED"], statuses),
            $"unexpected sequence {string.Join(" → ", statuses)}");
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => i.ToString()), events.Select(e => e.EventId));
        // App readiness events may come between RUNNING and the delete: type "app", naming the app.
        Assert.All(events, e => Assert.True(e.EventType == "status" || (e.EventType == "app" && Data(e).GetProperty("app").GetProperty("name").GetString() is not null), e.Data));
        Assert.All(events, e => Assert.Equal(long.Parse(e.EventId!), Data(e).GetProperty("sequence").GetInt64()));
    }

    [Fact]
    public async Task Apps_become_ready_after_RUNNING_in_the_view_and_as_app_events()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        var id = (await Api.CreateSession(alice, Api.SmallSession("readiness"))).GetProperty("id").GetString()!;
        await Api.WaitForStatus(alice, id, "RUNNING");

        using var patience = new CancellationTokenSource(Api.Patience);
        JsonElement apps;
        do
        {
            Assert.False(patience.IsCancellationRequested, "the apps never became ready");
            await Task.Delay(50);
            apps = (await Api.GetJson(alice, $"/v1/sessions/{id}")).GetProperty("apps");
        }
        while (apps.EnumerateArray().Any(a => a.GetProperty("state").GetString() != "ready"));

        Assert.Equal(["jupyter", "ssh", "terminal"], apps.EnumerateArray().Select(a => a.GetProperty("name").GetString()).Order());
        var appList = await Api.GetJson(alice, $"/v1/sessions/{id}/apps");
        Assert.All(appList.EnumerateArray(), a => Assert.Equal("ready", a.GetProperty("state").GetString()));

        await alice.DeleteAsync($"/v1/sessions/{id}");
        await Api.WaitForStatus(alice, id, "TERMINATED");
        var events = await ReadAll(alice, id, null, patience.Token);
        var appEvents = events.Where(e => e.EventType == "app").Select(Data).ToList();
        Assert.Equal(["jupyter", "ssh"], appEvents.Select(e => e.GetProperty("app").GetProperty("name").GetString()).Order());
        Assert.All(appEvents, e => Assert.Equal("ready", e.GetProperty("app").GetProperty("state").GetString()));
        Assert.All(appEvents, e => Assert.Equal("RUNNING", e.GetProperty("status").GetString()));
        var running = events.FindIndex(e => Status(e) == "RUNNING" && e.EventType == "status");
        Assert.All(events.Where(e => e.EventType == "app"), e => Assert.True(events.IndexOf(e) > running, "an app was ready before RUNNING"));
    }

    [Fact]
    public async Task Events_resume_after_Last_Event_ID_without_repeating()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        var id = (await Api.CreateSession(alice, Api.SmallSession("resume"))).GetProperty("id").GetString()!;
        await Api.WaitForStatus(alice, id, "RUNNING");
        await alice.DeleteAsync($"/v1/sessions/{id}");
        await Api.WaitForStatus(alice, id, "TERMINATED");

        using var patience = new CancellationTokenSource(Api.Patience);
        var all = await ReadAll(alice, id, null, patience.Token);
        var resumed = await ReadAll(alice, id, "2", patience.Token);
        var afterLast = await ReadAll(alice, id, all[^1].EventId, patience.Token);

        Assert.True(all.Count >= 4, $"only {all.Count} events");
        Assert.Equal(all.Skip(2).Select(e => e.EventId), resumed.Select(e => e.EventId));
        Assert.Equal(all.Skip(2).Select(e => e.Data), resumed.Select(e => e.Data));
        Assert.Empty(afterLast);
    }

    [Fact]
    public async Task A_stream_resumed_after_the_newest_event_of_a_running_session_answers_at_once()
    {
        // On Kestrel: the test server hands headers over before the body is flushed, Kestrel does not.
        await using var kestrel = GatewayFactory.OnKestrel();
        using var alice = kestrel.ClientWithKey(GatewayFactory.AliceKey);
        var id = (await Api.CreateSession(alice, Api.SmallSession("resume-newest"))).GetProperty("id").GetString()!;
        await Api.WaitForStatus(alice, id, "RUNNING");

        // Nothing will follow this id while the session runs; the headers must not wait for it.
        using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var response = await OpenStream(alice, id, long.MaxValue.ToString(), quick.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);

        await alice.DeleteAsync($"/v1/sessions/{id}");
    }

    [Fact]
    public async Task Bad_Last_Event_ID_is_400_problem()
    {
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        var id = (await Api.CreateSession(alice, Api.SmallSession("bad-resume"))).GetProperty("id").GetString()!;

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/sessions/{id}/events");
        request.Headers.Add("Last-Event-ID", "yesterday");
        using var response = await alice.SendAsync(request);

        await Api.AssertValidationProblem(response, "Last-Event-ID");
        await alice.DeleteAsync($"/v1/sessions/{id}");
    }

    [Fact]
    public async Task Watch_streams_the_callers_sessions_as_they_change_and_nobody_elses()
    {
        using var bob = factory.ClientWithKey(GatewayFactory.BobKey);
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        await Api.AssertProblem(await bob.GetAsync("/v1/sessions/watch?all=true"), HttpStatusCode.Forbidden);
        var alices = (await Api.CreateSession(alice, Api.SmallSession("not-bobs"))).GetProperty("id").GetString()!;

        using var patience = new CancellationTokenSource(Api.Patience);
        using var response = await bob.GetAsync("/v1/sessions/watch", HttpCompletionOption.ResponseHeadersRead, patience.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        string? id = null;
        var seen = new List<string>();
        var bodies = new List<string>();
        await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync(patience.Token)).EnumerateAsync(patience.Token))
        {
            if (item.EventType == "synced")
            {
                id = (await Api.CreateSession(bob, Api.SmallSession("watched"))).GetProperty("id").GetString()!;
                continue;
            }

            Assert.Equal("session", item.EventType);
            var session = Data(item);
            Assert.Equal("bob", session.GetProperty("owner").GetString());
            Assert.NotEqual(alices, session.GetProperty("id").GetString());
            if (session.GetProperty("id").GetString() != id)
            {
                continue;
            }

            seen.Add(Status(item));
            bodies.Add(item.Data);
            if (Status(item) == "RUNNING")
            {
                await bob.DeleteAsync($"/v1/sessions/{id}", patience.Token);
            }

            if (Status(item) == "TERMINATED")
            {
                break;
            }
        }

        Assert.Equal("TERMINATED", seen[^1]);
        Assert.Contains("RUNNING", seen);
        Assert.All(bodies.Zip(bodies.Skip(1)), pair => Assert.NotEqual(pair.First, pair.Second)); // only changes are sent
        await alice.DeleteAsync($"/v1/sessions/{alices}");
    }

    private static async Task<HttpResponseMessage> OpenStream(HttpClient client, string id, string? lastEventId, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/sessions/{id}/events");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response;
    }

    private static async Task<List<SseItem<string>>> ReadAll(HttpClient client, string id, string? lastEventId, CancellationToken cancellationToken)
    {
        using var response = await OpenStream(client, id, lastEventId, cancellationToken);
        var events = new List<SseItem<string>>();
        await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync(cancellationToken)).EnumerateAsync(cancellationToken))
        {
            events.Add(item);
        }

        return events;
    }

    private static JsonElement Data(SseItem<string> item) => JsonDocument.Parse(item.Data).RootElement;

    private static string Status(SseItem<string> item) => Data(item).GetProperty("status").GetString()!;

    private static bool IsSubsequence(IReadOnlyList<string> expected, IReadOnlyList<string> actual)
    {
        var i = 0;
        foreach (var status in actual)
        {
            if (i < expected.Count && expected[i] == status)
            {
                i++;
            }
        }

        return i == expected.Count;
    }
}
