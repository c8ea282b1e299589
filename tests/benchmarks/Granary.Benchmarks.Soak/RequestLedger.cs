using System.Collections.Concurrent;

namespace Granary.Benchmarks.Soak;

/// <summary>Every request the clients send, by outcome: answered with a status (by class; 503, part of the cluster
/// restarting, is an answer to retry and counted apart), or never answered (a connection refused or reset, a
/// timeout). A 5xx other than 503 and an unanswered request are failures.</summary>
public sealed class RequestLedger
{
    private readonly ConcurrentDictionary<string, int> _outcomes = new();
    private readonly ConcurrentQueue<string> _failures = new();

    public void Answered(HttpMethod method, string route, int status)
    {
        _outcomes.AddOrUpdate(status == 503 ? "503" : $"{status / 100}xx", 1, (_, n) => n + 1);
        if (status >= 500 && status != 503)
        {
            _failures.Enqueue($"{status} for {method} {route}");
        }
    }

    public void Unanswered(HttpMethod method, string route, Exception error)
    {
        _outcomes.AddOrUpdate("unanswered", 1, (_, n) => n + 1);
        _failures.Enqueue($"no answer to {method} {route}: {error.GetType().Name}: {error.Message}");
    }

    public int Count(string outcome) => _outcomes.GetValueOrDefault(outcome);

    public int Total => _outcomes.Values.Sum();

    public IReadOnlyCollection<string> Failures => _failures;

    public string Summary() => string.Join(", ", _outcomes.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"));

    /// <summary>A handler that records each request's outcome in the ledger (routes with ids replaced by {id}).</summary>
    public DelegatingHandler Handler() => new Recorder(this);

    private sealed class Recorder(RequestLedger ledger) : DelegatingHandler(new HttpClientHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var route = Route(request.RequestUri!);
            try
            {
                var response = await base.SendAsync(request, cancellationToken);
                ledger.Answered(request.Method, route, (int)response.StatusCode);
                return response;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                ledger.Unanswered(request.Method, route, e);
                throw;
            }
        }
    }

    public static string Route(Uri uri) => string.Join('/', uri.AbsolutePath.Split('/').Select(part => part.Length == 32 ? "{id}" : part));
}
