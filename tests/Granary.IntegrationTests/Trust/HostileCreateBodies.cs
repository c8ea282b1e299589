using System.Text;
using System.Text.Json.Nodes;

namespace Granary.IntegrationTests.Trust;

/// <summary>One hostile POST /v1/sessions body and the fields a 400 may name for it (any of them).</summary>
internal sealed record HostileCreateBody(byte[] Body, string[] Fields, string Description);

/// <summary>
/// Seeded, reproducible hostile create bodies: a valid body with one to three fields replaced by values the gateway
/// must refuse (wrong types, negative, NaN and enormous resources, path traversal, header injection, over-long and
/// NUL-bearing names, unknown fields), or a body that is not a JSON object or not valid UTF-8.
/// </summary>
internal static class HostileCreateBodies
{
    private static readonly (string Field, string Json)[] Mutations =
    [
        ("name", "\"a/../../b\""), ("name", "\"a\\u0000b\""), ("name", $"\"{new string('a', 65)}\""), ("name", "123"), ("name", "[]"),
        ("image", "\"../../etc/passwd\""), ("image", "\"\\r\\nX-Injected: yes\""), ("image", "\"UPPER:Case\""), ("image", "\"\""), ("image", "{}"),
        ("image", $"\"{new string('x', 10_000)}\""),
        ("type", "\"root\""), ("type", "5"),
        ("resourceGroup", "\"../x\""), ("resourceGroup", "\"A B\""), ("resourceGroup", "true"),
        ("priority", "1e999"), ("priority", "-2147483649"), ("priority", "\"high\""),
        ("resources.cpu", "-1"), ("resources.cpu", "\"NaN\""), ("resources.cpu", "1e999"), ("resources.cpu", "-0.5"), ("resources.cpu", "\"Infinity\""),
        ("resources.cpu", "79228162514264337593543950336"),
        ("resources.memory", "\"-4g\""), ("resources.memory", "\"abc\""), ("resources.memory", "-1"), ("resources.memory", "\"1e999g\""),
        ("resources.gpu", "-1"), ("resources.gpu", "2147483648"), ("resources.gpu", "\"one\""),
        ("mounts", "[{\"folder\":\"../etc\",\"path\":\"/home/work/x\"}]"), ("mounts", "[{\"folder\":\"..\"}]"),
        ("mounts", "[{\"folder\":\"a\\u0000b\"}]"), ("mounts", "\"notarray\""), ("mounts", "[1]"),
        ("env", "{\"1BAD\":\"x\"}"), ("env", "{\"A\":\"a\\u0000b\"}"), ("env", "[]"),
        ("command", "\"\""), ("command", "[]"), ("command", "42"),
        ("privileged", "true"), ("hostNetwork", "1"), ("capAdd", "[\"SYS_ADMIN\"]"),
    ];

    private static readonly (string Body, string Description)[] NotObjects =
    [
        ("{\"image\":", "truncated JSON"), ("[]", "an array"), ("\"x\"", "a string"), ("null", "null"), ("", "empty"),
        ("{\"image\":\"granary/python:3.11\",}", "a trailing comma"), ("{'image':'x'}", "single quotes"),
    ];

    public static IEnumerable<HostileCreateBody> Generate(int seed, int count, string validImage)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var roll = random.Next(20);
            if (roll == 0)
            {
                var (body, description) = NotObjects[random.Next(NotObjects.Length)];
                yield return new HostileCreateBody(Encoding.UTF8.GetBytes(body), [JsonBody], description);
            }
            else if (roll == 1)
            {
                // Invalid UTF-8 (a lone continuation byte, an overlong '/') inside the image string.
                byte[] invalid = random.Next(2) == 0 ? [0x80] : [0xC0, 0xAF];
                yield return new HostileCreateBody([.. "{\"image\":\"a"u8, .. invalid, .. "\",\"resources\":{\"cpu\":0.5}}"u8], ["image", JsonBody],
                    "invalid UTF-8 in image");
            }
            else
            {
                var chosen = Enumerable.Range(0, 1 + random.Next(3)).Select(_ => Mutations[random.Next(Mutations.Length)])
                    .DistinctBy(m => m.Field).ToArray();
                var body = new JsonObject
                {
                    ["image"] = validImage,
                    ["resources"] = new JsonObject { ["cpu"] = 0.5, ["memory"] = "512m" },
                };
                foreach (var (field, json) in chosen)
                {
                    var parts = field.Split('.');
                    var parent = parts.Length == 1 ? body : (JsonObject)body[parts[0]]!;
                    parent[parts[^1]] = JsonNode.Parse(json);
                }
                yield return new HostileCreateBody(Encoding.UTF8.GetBytes(body.ToJsonString()), [.. chosen.Select(m => m.Field)],
                    string.Join(", ", chosen.Select(m => $"{m.Field}={Clip(m.Json)}")));
            }
        }
    }

    /// <summary>The field a 400 names when the body as a whole is refused.</summary>
    public const string JsonBody = "body";

    private static string Clip(string json) => json.Length > 40 ? json[..40] + "…" : json;
}
