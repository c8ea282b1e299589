using System.Text;
using System.Text.Json;
using CsCheck;

namespace Granary.GatewayTests.Fuzz;

/// <summary>One generated request; path parameters that name a known thing are resolved when it is sent.</summary>
public sealed record FuzzRequest(string Method, string PathTemplate, string[] PathValues, string Caller, byte[]? Body, string? ContentType, (string Name, string Value)[] Headers)
{
    /// <summary>A prefix marking a path value as "the n-th known session id or folder name".</summary>
    public const string Known = "\u0001known:";

    public bool Mutates => Method is not "GET" and not "HEAD" and not "OPTIONS";

    public override string ToString()
    {
        var body = Body is null ? "(no body)" : Body.Length > 300 ? $"{Body.Length} bytes: {Encoding.UTF8.GetString(Body, 0, 300)}…" : Encoding.UTF8.GetString(Body);
        return $"{Method} {PathTemplate} [{string.Join(", ", PathValues)}] as {Caller}, {ContentType}, headers [{string.Join("; ", Headers.Select(h => h.Name + ": " + h.Value))}], body {body}";
    }
}

/// <summary>
/// Generators of requests from the OpenAPI document's operations (paths, methods, body schemas), plus hostile
/// mutations of every layer: the JSON text, its values, path parameters, headers and the raw bytes.
/// </summary>
public sealed class FuzzShapes(JsonElement openApi)
{
    // Streams (server-sent events, WebSockets) stay open while healthy: a request/response fuzzer cannot judge them.
    private static readonly string[] Streaming = ["/watch", "/events", "/terminal"];

    private static readonly string[] HostileStrings =
    [
        "", " ", ".", "..", "../../etc/passwd", "/home/work/../../etc", "a/../../b", "%2e%2e%2f", "..%2f..%2f", "/", "//", "\\..\\..\\windows",
        "\u0000", "a\u0000b", "\r\nX-Injected: yes", "line\nbreak", "\t", "<script>alert(1)</script>", "${jndi:ldap://x}", "' OR 1=1 --",
        "é", "\ud83d\ude00", "\u202e", "NaN", "Infinity", "-1", "0", "1e999", "true", "null", "{}", "[]",
        new string('a', 65), new string('a', 256), new string('x', 10_000), new string('é', 100),
    ];

    private static readonly string[] HostileNumbers =
    [
        "0", "-1", "-0", "1", "0.5", "-0.5", "1.5", "0.0000001", "2147483647", "2147483648", "-2147483649", "9223372036854775807",
        "9223372036854775808", "1e308", "-1e308", "1e999", "-1e999", "79228162514264337593543950336", "1E+2", "\"NaN\"", "\"Infinity\"",
        "\"-Infinity\"", "\"1\"", "\"\"", "true", "null", "[]", "{}",
    ];

    private static readonly string[] FolderPool = ["data", "fz-1", "fz-2", "models"];

    private readonly Dictionary<string, JsonElement> _schemas = openApi.TryGetProperty("components", out var c) && c.TryGetProperty("schemas", out var s)
        ? s.EnumerateObject().ToDictionary(p => p.Name, p => p.Value)
        : [];

    public IReadOnlyList<(string Method, string Path, JsonElement? BodySchema)> Operations { get; } = [..
        from path in openApi.GetProperty("paths").EnumerateObject()
        where !Streaming.Any(path.Name.EndsWith)
        from operation in path.Value.EnumerateObject()
        where operation.Name is "get" or "post" or "put" or "patch" or "delete"
        select (operation.Name.ToUpperInvariant(), path.Name, BodySchemaOf(operation.Value))];

    private static JsonElement? BodySchemaOf(JsonElement operation)
        => operation.TryGetProperty("requestBody", out var body) && body.TryGetProperty("content", out var content)
           && content.TryGetProperty("application/json", out var json) && json.TryGetProperty("schema", out var schema)
            ? schema : null;

    public Gen<FuzzRequest> Request()
    {
        // POST /v1/sessions is the richest shape and the one that allocates: it gets a larger share.
        var weighted = Operations.Select(o => (o.Method == "POST" && o.Path == "/v1/sessions" ? Operations.Count / 2 : 2, OperationRequest(o))).ToArray();
        return Pick(weighted.Select(w => (w.Item1, (IGen<FuzzRequest>)w.Item2)).ToArray());
    }

    private Gen<FuzzRequest> OperationRequest((string Method, string Path, JsonElement? BodySchema) operation)
    {
        var parameters = operation.Path.Split('/').Count(segment => segment.StartsWith('{'));
        var pathValues = Repeat(PathValue(), parameters);
        var body = operation.BodySchema is { } schema ? Body(schema) : Pick((9, Gen.Const((byte[]?)null)), (1, Body(default)));
        var contentType = Pick(
            (12, Gen.Const<string?>("application/json")),
            (1, Gen.OneOf<string?>("text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1", "multipart/form-data; boundary=x", null, "application/json\r\nX-Injected: 1")));
        var caller = Pick((12, Gen.Const("alice")), (3, Gen.Const("bob")), (2, Gen.Const("admin")), (1, Gen.Const("none")), (2, Gen.OneOf(
            "bad-key", "Bearer", "alice-key-0123456789abcdef\r\nX-Admin: 1", "Basic YWxpY2U6eA==", new string('k', 9000), "\u00e9\u00e9")));
        var headers = Pick((8, Gen.Const(Array.Empty<(string, string)>())), (1, Gen.OneOf<(string, string)[]>(
            [("X-Forwarded-For", "127.0.0.1, 10.0.0.1")], [("X-Forwarded-Host", "evil.example")], [("Origin", "https://evil.example")],
            [("X-Granary-User", "admin")], [("Cookie", "granary=forged; other=\u00ff")], [("Content-Length-Extra", new string('h', 20_000))])));
        return Gen.Select(pathValues, body, contentType, caller, headers,
            (values, bytes, type, who, extra) => new FuzzRequest(operation.Method, operation.Path, values, who, bytes, bytes is null ? null : type, extra));
    }

    private static Gen<string> PathValue() => Pick(
        (6, Gen.Int[0, 7].Select(i => FuzzRequest.Known + i)),
        (1, Gen.OneOf(FolderPool)),
        // No NUL: Kestrel refuses it in the request line before the app sees it, and the test server throws on it.
        (3, Gen.OneOf(HostileStrings.Where(s => s.Length is > 0 and < 1000 && !s.Contains('\0')).Concat(["jupyter", "terminal", "ssh", "node-1", "alice", "%0d%0aX: 1"]).ToArray())));

    /// <summary>A JSON text shaped by the schema, then perhaps broken as text or as bytes.</summary>
    private Gen<byte[]?> Body(JsonElement schema)
    {
        var text = schema.ValueKind == JsonValueKind.Undefined ? Gen.OneOf("{}", "[]", "null") : Value(schema, "", 0);
        return text.SelectMany(json => Pick(
            (10, Gen.Const(json)),
            (1, Gen.Int[0, json.Length].Select(n => json[..n])),
            (1, Gen.OneOf("", "null", "[]", "1", "\"x\"", "{", "}", "{}}", "{\"a\":", "{'image': 'x'}", "{\"image\":\"python:3.11\",}")),
            (1, Gen.OneOf("{\"zz_unknown\":1,", "{\"name\":1,\"name\":\"x\",", "{\"__proto__\":{},").Select(prefix => json.StartsWith('{') && json.Length > 2 ? prefix + json[1..] : json)),
            (1, Gen.Int[1_000, 20_000].Select(depth => new string('[', depth) + new string(']', depth))),
            (1, Gen.Int[100_000, 3_000_000].Select(size => "{\"name\":\"" + new string('n', size) + "\",\"image\":\"python:3.11\"}"))))
            .SelectMany(json => Pick(
                (12, Gen.Const<byte[]?>(Encoding.UTF8.GetBytes(json))),
                (1, Gen.Int[0, json.Length].SelectMany(at => Gen.OneOf<byte[]>([0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xE2, 0x82])
                    .Select(bad => (byte[]?)[.. Encoding.UTF8.GetBytes(json[..at]), .. bad, .. Encoding.UTF8.GetBytes(json[at..])])))));
    }

    private Gen<string> Value(JsonElement schema, string field, int depth)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            return Value(_schemas[reference.GetString()!.Split('/')[^1]], field, depth);
        }

        var generic = depth > 4 ? Gen.OneOf("null", "1", "\"x\"") : Generic(schema, depth);
        var hostile = Gen.OneOf([.. HostileNumbers, .. HostileStrings.Select(JsonString)]);
        return Plausible(field) is { } plausible
            ? Pick((12, plausible), (1, generic), (1, hostile))
            : Pick((8, generic), (1, hostile));
    }

    private Gen<string> Generic(JsonElement schema, int depth)
    {
        string[] types = !schema.TryGetProperty("type", out var type) ? ["object", "string", "number", "array"]
            : type.ValueKind == JsonValueKind.Array ? [.. type.EnumerateArray().Select(t => t.GetString()!)] : [type.GetString()!];
        return Gen.OneOf(types).SelectMany(t => t switch
        {
            "object" when schema.TryGetProperty("properties", out var properties) => Object(properties, depth),
            "object" => Gen.Int[0, 3].SelectMany(n => Repeat(Gen.Select(Gen.OneOf("A", "B_1", "PATH", "1BAD", "A-B", "", "a b"), Gen.OneOf(HostileStrings), (k, v) => JsonString(k) + ":" + JsonString(v)), n))
                .Select(entries => "{" + string.Join(",", entries) + "}"),
            "array" => Gen.Int[0, 3].SelectMany(n => Repeat(schema.TryGetProperty("items", out var items) ? Value(items, "", depth + 1) : Gen.OneOf("1", "\"x\""), n))
                .Select(items => "[" + string.Join(",", items) + "]"),
            "integer" or "number" => Gen.OneOf(HostileNumbers.Where(n => !n.StartsWith('"')).ToArray()),
            "boolean" => Gen.OneOf("true", "false"),
            "null" => Gen.Const("null"),
            _ => Gen.OneOf(HostileStrings).Select(JsonString),
        });
    }

    private Gen<string> Object(JsonElement properties, int depth)
    {
        var members = Gen.Const(System.Collections.Immutable.ImmutableList<string>.Empty);
        foreach (var property in properties.EnumerateObject())
        {
            var value = Value(property.Value, property.Name, depth + 1);
            var name = property.Name;
            members = members.SelectMany(list => Gen.Int[0, 9].SelectMany(present => present < 8
                ? value.Select(v => list.Add(JsonString(name) + ":" + v))
                : Gen.Const(list)));
        }

        return members.Select(list => "{" + string.Join(",", list) + "}");
    }

    /// <summary>Values a real client would send for the fields we know, so some requests get past validation.</summary>
    private static Gen<string>? Plausible(string field) => field switch
    {
        "name" => Gen.Int[0, 999].Select(i => JsonString("fz-" + i)),
        "image" => Gen.OneOf("\"python:3.11\"", "\"base:1\""),
        "cpu" => Gen.OneOf("1", "0.5", "2"),
        "memory" => Gen.OneOf("\"1g\"", "\"512m\"", "1073741824"),
        "gpu" => Gen.OneOf("0", "1"),
        "fgpu" => Gen.OneOf("0.2", "0.5"),
        "gpuModels" => Gen.OneOf("[\"TEST-GPU\"]", "[]"),
        "folder" => Gen.OneOf(FolderPool).Select(JsonString),
        "path" => Gen.OneOf("\"/data\"", "\"/home/work/x\"", "\"/mnt/m\""),
        "readOnly" => Gen.OneOf("true", "false"),
        "type" => Gen.Const("\"interactive\""),
        "priority" => Gen.Int[0, 10].Select(i => i.ToString()),
        "command" => Gen.OneOf("[\"python\",\"-c\",\"1\"]", "\"echo hi\""),
        "env" => Gen.OneOf("{\"A\":\"b\"}", "{}"),
        "role" => Gen.OneOf("\"user\"", "\"admin\""),
        "resources" => Gen.OneOf("{\"cpu\":1,\"memory\":\"1g\"}", "{\"cpu\":0.5,\"memory\":\"512m\",\"fgpu\":0.2}", "{\"cpu\":1,\"memory\":\"1g\",\"gpu\":1}"),
        "mounts" => Gen.OneOf("[]", "null", "[{\"folder\":\"data\"}]", "[{\"folder\":\"fz-1\",\"path\":\"/data\",\"readOnly\":true}]"),
        "resourceGroup" => Gen.Const("null"),
        _ => null,
    };

    // Spelled out so the overload over generators is the one chosen, not the one over constant values.
    private static Gen<T> Pick<T>(params (int Weight, IGen<T> Gen)[] choices) => Gen.Frequency(choices);

    private static Gen<string[]> Repeat(Gen<string> gen, int count)
    {
        var all = Gen.Const(System.Collections.Immutable.ImmutableList<string>.Empty);
        for (var i = 0; i < count; i++)
        {
            all = all.SelectMany(list => gen.Select(list.Add));
        }

        return all.Select(list => list.ToArray());
    }

    private static string JsonString(string value) => JsonSerializer.Serialize(value);
}
