namespace Granary.Policies;

/// <summary>A create the user's resource policy refuses; Limit names the policy field. Nothing was created.</summary>
[GenerateSerializer]
public sealed class QuotaRefusedException(string limit, string policy, string message) : Exception(message)
{
    [Id(0)] public string Limit { get; init; } = limit;
    [Id(1)] public string Policy { get; init; } = policy;
}
