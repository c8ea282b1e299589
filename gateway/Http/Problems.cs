using Microsoft.AspNetCore.Http.HttpResults;

namespace Granary.Gateway.Http;

public static class Problems
{
    public static ProblemHttpResult NotFound(string what, string id)
        => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"There is no {what} \"{id}\".");

    public static ProblemHttpResult Forbidden(string detail)
        => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: detail);

    public static ProblemHttpResult Conflict(string detail)
        => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: detail);

    /// <summary>403 for a field the caller has no right to use (admin-controlled), errors keyed by the field.</summary>
    public static ProblemHttpResult NotAllowed(string field, string message)
        => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed", detail: message,
            extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [field] = [message] } });

    /// <summary>403: the create would exceed the caller's resource policy; limit names the policy field.</summary>
    public static ProblemHttpResult OverLimit(string limit, string policy, string detail)
        => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Over the resource policy's limit", detail: detail,
            extensions: new Dictionary<string, object?> { ["limit"] = limit, ["policy"] = policy });

    public static ValidationProblem Invalid(string field, string message)
        => TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });

    public static ValidationProblem Invalid(Dictionary<string, string[]> errors)
        => TypedResults.ValidationProblem(errors);
}
