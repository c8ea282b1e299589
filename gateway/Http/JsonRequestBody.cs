using System.Collections;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;

namespace Granary.Gateway.Http;

/// <summary>A request body read as T, or errors keyed by the JSON field they concern ("resources.cpu", "body").</summary>
public sealed record JsonRequestBody<T>(T? Value, Dictionary<string, string[]> Errors) where T : class
{
    public bool IsValid => Value is not null && Errors.Count == 0;
}

/// <summary>
/// Reads a JSON object body so that every problem is a field-named validation error: malformed JSON, a value of the
/// wrong JSON type, an unknown field. (Framework body binding would answer these with an empty 400.)
/// </summary>
public static partial class JsonRequestBody
{
    public const string BodyField = "body";

    public static async Task<JsonRequestBody<T>> Read<T>(HttpRequest request, JsonSerializerOptions options) where T : class
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted);
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" (line {line + 1}, position {e.BytePositionInLine + 1})" : "";
            return Failed<T>(BodyField, $"The body is not valid JSON{where}.");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return Failed<T>(BodyField, "The body must be a JSON object.");
            }

            // The parser checks UTF-8 only in what it transcodes; a JsonElement kept raw (a command) would fail later.
            if (InvalidUtf8At(document.RootElement, "") is { } invalid)
            {
                return Failed<T>(invalid.Length == 0 ? BodyField : invalid, "Not valid UTF-8.");
            }

            try
            {
                var value = document.RootElement.Deserialize<T>(options)
                    ?? throw new JsonException("The body deserialized to null.");
                return new JsonRequestBody<T>(value, []);
            }
            catch (JsonException e)
            {
                var field = FieldName(e.Path);
                return Failed<T>(field, Describe(options, typeof(T), field));
            }
        }
    }

    /// <summary>The field path of the first property name or string that is not valid UTF-8, or null.</summary>
    private static string? InvalidUtf8At(JsonElement element, string path)
    {
        try
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    _ = element.GetString();
                    return null;
                case JsonValueKind.Array:
                    var index = 0;
                    foreach (var item in element.EnumerateArray())
                    {
                        if (InvalidUtf8At(item, $"{path}[{index++}]") is { } inItem)
                        {
                            return inItem;
                        }
                    }

                    return null;
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        var name = property.Name;
                        if (InvalidUtf8At(property.Value, path.Length == 0 ? name : $"{path}.{name}") is { } inProperty)
                        {
                            return inProperty;
                        }
                    }

                    return null;
                default:
                    return null;
            }
        }
        catch (InvalidOperationException)
        {
            // Not swallowed: the answer is this field's validation error.
            return path;
        }
    }

    /// <summary>"$.resources.cpu" → "resources.cpu"; "$.mounts[0].folder" → "mounts[0].folder"; "$" → "body".</summary>
    public static string FieldName(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return BodyField;
        }

        return path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
    }

    private static JsonRequestBody<T> Failed<T>(string field, string message) where T : class
        => new(null, new Dictionary<string, string[]> { [field] = [message] });

    /// <summary>Follows the field path through T's JSON contract to say what the field expects.</summary>
    private static string Describe(JsonSerializerOptions options, Type root, string field)
    {
        if (field == BodyField)
        {
            return "The body does not have the expected shape.";
        }

        var type = root;
        foreach (Match segment in PathSegment().Matches(field))
        {
            if (segment.Groups["index"].Success)
            {
                type = ElementType(type) ?? typeof(object);
                continue;
            }

            var name = segment.Groups["name"].Value;
            var info = options.GetTypeInfo(type);
            if (info.Kind == JsonTypeInfoKind.Dictionary)
            {
                type = info.ElementType ?? typeof(object);
                continue;
            }

            var property = info.Properties.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
            if (property is null)
            {
                return "This field is not known.";
            }

            type = property.PropertyType;
        }

        return "Must be " + Expected(options, type) + ".";
    }

    private static string Expected(JsonSerializerOptions options, Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return "a string";
        }

        if (type == typeof(bool))
        {
            return "true or false";
        }

        if (type == typeof(int) || type == typeof(long))
        {
            return "an integer";
        }

        if (type == typeof(decimal) || type == typeof(double) || type == typeof(float))
        {
            return "a number";
        }

        if (type == typeof(DateTimeOffset))
        {
            return "a date and time (ISO 8601, e.g. 2030-01-31T12:00:00Z)";
        }

        return options.GetTypeInfo(type).Kind switch
        {
            JsonTypeInfoKind.Enumerable => $"an array of {Plural(Expected(options, ElementType(type) ?? typeof(object)))}",
            JsonTypeInfoKind.Dictionary => $"an object whose values are {Plural(Expected(options, options.GetTypeInfo(type).ElementType ?? typeof(object)))}",
            _ => "an object",
        };
    }

    private static string Plural(string expected) => expected switch
    {
        "a string" => "strings",
        "an integer" => "integers",
        "a number" => "numbers",
        "an object" => "objects",
        _ => expected,
    };

    private static Type? ElementType(Type type)
        => type.IsArray ? type.GetElementType()
            : type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type) ? type.GetGenericArguments()[^1]
            : null;

    [GeneratedRegex(@"(?<name>[^.\[\]]+)|\[(?<index>\d+)\]|\['(?<name>[^']*)'\]")]
    private static partial Regex PathSegment();
}
