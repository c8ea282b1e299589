using System.Net;

namespace Granary.GatewayTests;

/// <summary>Requests per API key are limited (Granary:RateLimit): over the limit is a 429 problem with Retry-After.</summary>
[Collection(GatewayCollection.Name)]
public sealed class RateLimitTests
{
    [Fact]
    public async Task A_key_over_its_rate_gets_429_with_retry_after_and_other_keys_are_unaffected()
    {
        await using var factory = GatewayFactory.WithSettings(new Dictionary<string, string?>
        {
            ["Granary:RateLimit:PermitsPerSecond"] = "1",
            ["Granary:RateLimit:Burst"] = "3",
        });
        using var alice = factory.ClientWithKey(GatewayFactory.AliceKey);
        using var bob = factory.ClientWithKey(GatewayFactory.BobKey);

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 10 && limited is null; i++)
        {
            var response = await alice.GetAsync("/v1/me");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                response.Dispose();
            }
        }

        Assert.NotNull(limited);
        Assert.InRange(statuses.Count(s => s == HttpStatusCode.OK), 3, 5);
        await Api.AssertProblem(limited, HttpStatusCode.TooManyRequests);
        var retryAfter = limited.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
        limited.Dispose();
        Assert.Equal(HttpStatusCode.OK, (await bob.GetAsync("/v1/me")).StatusCode);

        await Task.Delay(retryAfter.Value + TimeSpan.FromMilliseconds(100));
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync("/v1/me")).StatusCode);
    }
}
