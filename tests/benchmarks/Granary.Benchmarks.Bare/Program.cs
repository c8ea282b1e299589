using Granary.Benchmarks.Bare;

// What ASP.NET Core alone costs on this machine: the gateway's read and create routes with bodies of the same shape
// and size (serialized per request, as the gateway does), without authentication, grains or validation.
var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var app = builder.Build();
var list = Enumerable.Range(0, 100).Select(i => BareSession.Example(Guid.NewGuid().ToString("N"))).ToArray();
app.MapGet("/v1/sessions/{id}", (string id) => TypedResults.Ok(BareSession.Example(id)));
app.MapGet("/v1/sessions", () => TypedResults.Ok(list));
app.MapPost("/v1/sessions", (BareCreate body) =>
{
    var id = Guid.NewGuid().ToString("N");
    return TypedResults.Created($"/v1/sessions/{id}", BareSession.Example(id) with { Image = body.Image ?? "", Status = "PENDING" });
});
app.Run();
