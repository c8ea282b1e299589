using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Granary.Gateway.Auth;
using Granary.Gateway.Hosting;
using Granary.Gateway.Http;
using Granary.Policies;
using Granary.Resources;
using Granary.Users;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Granary.Gateway.Policies;

/// <summary>
/// REST v1 resource policies (admin): what a user may hold at once and for how long. A user points at one
/// (policy on POST/PATCH /v1/users); "default" applies otherwise, and no limits while no "default" is defined.
/// A session keeps the policy it was created under.
/// </summary>
public static partial class PoliciesApi
{
    public const string NameRule = "Must be 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit.";
    public const int MaxListEntries = 256;
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(3650);

    public static IEndpointRouteBuilder MapPoliciesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/policies").WithTags("Policies").RequireAuthorization(Roles.AdminPolicy);
        group.MapGet("/", List);
        group.MapGet("/{name}", Get);
        group.MapPut("/{name}", Put).Accepts<PolicyRequest>("application/json");
        group.MapDelete("/{name}", Delete);
        return app;
    }

    public static bool IsValidName(string? name) => name is not null && NameRegex().IsMatch(name);

    public static async Task<Ok<PolicyResponse[]>> List(IGrainFactory grains)
        => TypedResults.Ok((await Directory(grains).List()).Select(PolicyResponse.From).ToArray());

    public static async Task<Results<Ok<PolicyResponse>, ProblemHttpResult>> Get(string name, IGrainFactory grains)
    {
        var policy = IsValidName(name) ? await Directory(grains).Get(name) : null;
        return policy is null ? Problems.NotFound("policy", name) : TypedResults.Ok(PolicyResponse.From(policy));
    }

    /// <summary>Creates (201) or replaces (200) the policy. Sessions already created keep the policy they had.</summary>
    public static async Task<Results<Created<PolicyResponse>, Ok<PolicyResponse>, ValidationProblem>> Put(
        string name, HttpRequest request, IGrainFactory grains)
    {
        var body = await JsonRequestBody.Read<PolicyRequest>(request, GatewayServiceExtensions.RequestJson);
        if (!body.IsValid)
        {
            return Problems.Invalid(body.Errors);
        }

        var errors = new ValidationErrors();
        if (!IsValidName(name))
        {
            errors.Add("name", NameRule);
        }

        var policy = Validate(name, body.Value!, errors);
        if (!errors.IsEmpty)
        {
            return Problems.Invalid(errors.ToDictionary());
        }

        var created = await Directory(grains).Put(policy);
        var shown = PolicyResponse.From(policy);
        return created ? TypedResults.Created($"/v1/policies/{name}", shown) : TypedResults.Ok(shown);
    }

    /// <summary>409 while a user points at it (configured users are not checked: their policy is configuration's).</summary>
    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(string name, IGrainFactory grains)
    {
        if (!IsValidName(name))
        {
            return Problems.NotFound("policy", name);
        }

        var users = await grains.GetGrain<IUserDirectoryGrain>(IUserDirectoryGrain.Key).List();
        var holders = users.Where(u => u.Policy == name).Select(u => u.Name).ToList();
        if (holders.Count > 0)
        {
            return Problems.Conflict($"The users {string.Join(", ", holders)} have the policy \"{name}\"; give them another first.");
        }

        return await Directory(grains).Remove(name) ? TypedResults.NoContent() : Problems.NotFound("policy", name);
    }

    private static ResourcePolicy Validate(string name, PolicyRequest request, ValidationErrors errors)
    {
        int? Count(int? value, string field, int max)
        {
            if (value is < 0 || value > max)
            {
                errors.Add(field, $"Must be from 0 to {max}.");
            }

            return value;
        }

        long? Milli(decimal? value, string field, decimal max)
        {
            if (value is null)
            {
                return null;
            }

            if (value < 0 || value > max)
            {
                errors.Add(field, $"Must be from 0 to {max.ToString(CultureInfo.InvariantCulture)}.");
                return null;
            }

            return (long)decimal.Floor(value.Value * 1000);
        }

        TimeSpan? Seconds(decimal? value, string field)
        {
            if (value is null)
            {
                return null;
            }

            if (value <= 0 || value > (decimal)MaxDuration.TotalSeconds)
            {
                errors.Add(field, $"Must be a number of seconds above 0 and at most {MaxDuration.TotalSeconds}.");
                return null;
            }

            return TimeSpan.FromMilliseconds((double)decimal.Ceiling(value.Value * 1000));
        }

        string[]? Names(string[]? values, string field, Regex pattern, string rule)
        {
            if (values is null)
            {
                return null;
            }

            if (values.Length > MaxListEntries)
            {
                errors.Add(field, $"At most {MaxListEntries} entries.");
            }

            for (var i = 0; i < values.Length; i++)
            {
                if (values[i] is null || !pattern.IsMatch(values[i]))
                {
                    errors.Add($"{field}[{i}]", rule);
                }
            }

            return [.. values.Distinct(StringComparer.Ordinal)];
        }

        var overLimit = OverLimit.Refuse;
        if (request.OverLimit is not null && !Enum.TryParse(request.OverLimit, ignoreCase: true, out overLimit)
            || request.OverLimit is not null && !request.OverLimit.All(char.IsAsciiLetter))
        {
            errors.Add("overLimit", "Must be \"refuse\" or \"queue\".");
        }

        return new ResourcePolicy(
            name,
            Count(request.MaxConcurrentSessions, "maxConcurrentSessions", 100_000),
            Count(request.MaxPendingSessions, "maxPendingSessions", 100_000),
            Milli(request.Cpu, "cpu", 1_000_000m),
            Memory(request.Memory, errors),
            Count(request.Gpu, "gpu", 100_000),
            Milli(request.Fgpu, "fgpu", 1_000_000m),
            Names(request.ResourceGroups, "resourceGroups", GroupRegex(), NameRule),
            Names(request.Images, "images", ImageRegex(), "Must be an image reference such as \"python:3.11\"."),
            Seconds(request.MaxLifetime, "maxLifetime"),
            Seconds(request.IdleTimeout, "idleTimeout"),
            overLimit);
    }

    private static long? Memory(JsonElement? memory, ValidationErrors errors)
    {
        switch (memory)
        {
            case null or { ValueKind: JsonValueKind.Null }:
                return null;
            case { ValueKind: JsonValueKind.Number } number when number.TryGetInt64(out var bytes) && bytes >= 0:
                return bytes;
            case { ValueKind: JsonValueKind.String } text:
                try
                {
                    return ResourceParser.ParseMemory(text.GetString()!);
                }
                catch (FormatException e)
                {
                    errors.Add("memory", e.Message);
                    return null;
                }

            default:
                errors.Add("memory", "Must be a number of bytes or a size such as \"64g\".");
                return null;
        }
    }

    private static IPolicyDirectoryGrain Directory(IGrainFactory grains) => grains.GetGrain<IPolicyDirectoryGrain>(IPolicyDirectoryGrain.Key);

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex NameRegex();

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex GroupRegex();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9._/-]{0,200}(:[A-Za-z0-9._-]{1,128})?$")]
    private static partial Regex ImageRegex();
}

/// <summary>Every limit is optional (absent: no limit). cpu in cores, memory in bytes or "64g", gpu whole devices,
/// fgpu fractional units, all totals held at once; maxLifetime and idleTimeout in seconds; overLimit "refuse"
/// (default) or "queue".</summary>
public sealed record PolicyRequest(
    int? MaxConcurrentSessions,
    int? MaxPendingSessions,
    decimal? Cpu,
    JsonElement? Memory,
    int? Gpu,
    decimal? Fgpu,
    string[]? ResourceGroups,
    string[]? Images,
    decimal? MaxLifetime,
    decimal? IdleTimeout,
    string? OverLimit);

public sealed record PolicyResponse(
    string Name,
    int? MaxConcurrentSessions,
    int? MaxPendingSessions,
    decimal? Cpu,
    long? Memory,
    int? Gpu,
    decimal? Fgpu,
    string[]? ResourceGroups,
    string[]? Images,
    double? MaxLifetime,
    double? IdleTimeout,
    string OverLimit)
{
    public static PolicyResponse From(ResourcePolicy p) => new(
        p.Name, p.MaxConcurrentSessions, p.MaxPendingSessions, p.CpuMilli / 1000m, p.MemoryBytes, p.Gpus, p.FgpuMilli / 1000m,
        p.ResourceGroups, p.Images, p.MaxLifetime?.TotalSeconds, p.IdleTimeout?.TotalSeconds, p.OverLimit.ToString().ToLowerInvariant());
}
