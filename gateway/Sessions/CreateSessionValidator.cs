using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Granary.Agents.Launch;
using Granary.Gateway.Http;
using Granary.Resources;
using Granary.Sessions;

namespace Granary.Gateway.Sessions;

/// <summary>Turns a CreateSessionRequest into a SessionSpec, or field-named errors. Resources go through ResourceParser.</summary>
public static partial class CreateSessionValidator
{
    public const string DefaultResourceGroup = "default";
    public const int MaxEnvEntries = 128;
    public const int MaxEnvValueLength = 32 * 1024;
    public const int MaxMounts = 32;
    public const int MinPriority = 0;
    public const int MaxPriority = 100;

    /// <summary>Owner: the creator's user id; ownerName: their name, kept for display.</summary>
    public static (SessionSpec? Spec, ValidationErrors Errors) Validate(CreateSessionRequest request, string owner, string ownerName)
    {
        var errors = new ValidationErrors();

        var name = request.Name ?? GenerateName();
        if (!NameRegex().IsMatch(name))
        {
            errors.Add("name", "Must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.");
        }

        var image = request.Image?.Trim();
        if (string.IsNullOrEmpty(image))
        {
            errors.Add("image", "An image is required, e.g. \"python:3.11\".");
        }
        else if (image.Length > 255 || !ImageRegex().IsMatch(image))
        {
            errors.Add("image", "Must be an image reference such as \"python:3.11\" (lower-case name, optional :tag).");
        }

        var type = SessionType.Interactive;
        if (request.Type is not null && !TryParseType(request.Type, out type))
        {
            errors.Add("type", "Must be \"interactive\" or \"batch\".");
        }

        var resources = ValidateResources(request.Resources, errors);
        var mounts = ValidateMounts(request.Mounts ?? [], errors);
        var env = ValidateEnv(request.Env ?? [], errors);
        var command = ValidateCommand(request.Command, errors);

        var group = request.ResourceGroup ?? DefaultResourceGroup;
        if (!GroupRegex().IsMatch(group))
        {
            errors.Add("resourceGroup", "Must be 1 to 64 lower-case letters, digits, '.', '_' or '-'.");
        }

        var priority = request.Priority ?? 0;
        if (priority is < MinPriority or > MaxPriority)
        {
            errors.Add("priority", $"Must be between {MinPriority} and {MaxPriority}.");
        }

        if (!errors.IsEmpty || resources is null || image is null)
        {
            return (null, errors);
        }

        return (new SessionSpec(name, owner, image, type, resources, group, mounts, env, command, priority, ownerName), errors);
    }

    public static string TypeName(SessionType type) => type.ToString().ToLowerInvariant();

    public static string NewSessionId() => Guid.NewGuid().ToString("N");

    private static string GenerateName()
        => "session-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    private static bool TryParseType(string text, out SessionType type)
    {
        switch (text.ToLowerInvariant())
        {
            case "interactive":
                type = SessionType.Interactive;
                return true;
            case "batch":
                type = SessionType.Batch;
                return true;
            default:
                type = SessionType.Interactive;
                return false;
        }
    }

    private static ResourceRequest? ValidateResources(ResourcesRequest? request, ValidationErrors errors)
    {
        if (request is null)
        {
            errors.Add("resources", "Resources are required, e.g. {\"cpu\": 2, \"memory\": \"4g\"}.");
            return null;
        }

        string? memory = null;
        switch (request.Memory)
        {
            case null:
            case { ValueKind: JsonValueKind.Null }:
                break;
            case { ValueKind: JsonValueKind.String } text:
                memory = text.GetString();
                break;
            case { ValueKind: JsonValueKind.Number } number:
                memory = number.GetRawText();
                break;
            default:
                errors.Add("resources.memory", "Must be a size such as \"4g\" or \"512m\", or a number of bytes.");
                return null;
        }

        var result = ResourceParser.Parse(new ResourceInput(request.Cpu, memory, request.Gpu, request.Fgpu, request.GpuModels));
        if (!result.IsValid)
        {
            errors.AddAll("resources.", result.Errors);
            return null;
        }

        return result.Value;
    }

    private static MountSpec[] ValidateMounts(MountRequest[] requests, ValidationErrors errors)
    {
        if (requests.Length > MaxMounts)
        {
            errors.Add("mounts", $"At most {MaxMounts} folders can be mounted.");
            return [];
        }

        var mounts = new List<MountSpec>();
        var paths = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < requests.Length; i++)
        {
            var field = $"mounts[{i}]";
            var request = requests[i];
            if (request is null)
            {
                errors.Add(field, "Must be an object such as {\"folder\": \"data\"}.");
                continue;
            }

            if (!Granary.Folders.FolderNames.IsValid(request.Folder))
            {
                errors.Add($"{field}.folder", "Must be a folder name: 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'.");
                continue;
            }

            if (mounts.Any(m => m.Folder == request.Folder))
            {
                errors.Add($"{field}.folder", $"The folder {request.Folder} is already mounted by this session.");
                continue;
            }

            var path = request.Path ?? $"{SessionLaunchRules.Home}/{request.Folder}";
            if (SessionLaunchRules.WhyMountPathRefused(path) is { } refused)
            {
                errors.Add($"{field}.path", refused);
                continue;
            }

            path = SessionLaunchRules.NormalizeMountPath(path);
            if (!paths.Add(path))
            {
                errors.Add($"{field}.path", $"Another folder is already mounted at {path}.");
                continue;
            }

            mounts.Add(new MountSpec(request.Folder!, path, request.ReadOnly ?? false));
        }

        return [.. mounts];
    }

    private static Dictionary<string, string> ValidateEnv(Dictionary<string, string> env, ValidationErrors errors)
    {
        if (env.Count > MaxEnvEntries)
        {
            errors.Add("env", $"At most {MaxEnvEntries} variables.");
            return [];
        }

        foreach (var (key, value) in env)
        {
            if (!EnvKeyRegex().IsMatch(key))
            {
                errors.Add($"env.{key}", "The name must be letters, digits and '_', not starting with a digit, at most 128 characters.");
            }
            else if (SessionLaunchRules.WhyReserved(key) is { } reserved)
            {
                errors.Add($"env.{key}", reserved);
            }
            else if (value is null)
            {
                errors.Add($"env.{key}", "The value must be a string.");
            }
            else if (value.Length > MaxEnvValueLength || value.Contains('\0'))
            {
                errors.Add($"env.{key}", $"The value must be at most {MaxEnvValueLength} characters, without NUL.");
            }
        }

        return new Dictionary<string, string>(env, StringComparer.Ordinal);
    }

    private static string[]? ValidateCommand(JsonElement? command, ValidationErrors errors)
    {
        switch (command)
        {
            case null:
            case { ValueKind: JsonValueKind.Null }:
                return null;
            case { ValueKind: JsonValueKind.String } text when !string.IsNullOrWhiteSpace(text.GetString()):
                return ["/bin/sh", "-c", text.GetString()!];
            case { ValueKind: JsonValueKind.Array } array
                when array.GetArrayLength() > 0
                     && array.EnumerateArray().All(a => a.ValueKind == JsonValueKind.String && !string.IsNullOrEmpty(a.GetString())):
                return [.. array.EnumerateArray().Select(a => a.GetString()!)];
            default:
                errors.Add("command", "Must be a non-empty string (run with /bin/sh -c) or a non-empty array of strings.");
                return null;
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex NameRegex();

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex GroupRegex();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
    private static partial Regex EnvKeyRegex();

    // name[:tag][@digest], lower-case repository path components as Docker requires.
    [GeneratedRegex(@"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?(?:@sha256:[a-f0-9]{64})?$")]
    private static partial Regex ImageRegex();
}
