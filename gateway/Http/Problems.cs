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

    public static ValidationProblem Invalid(string field, string message)
        => TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });

    public static ValidationProblem Invalid(Dictionary<string, string[]> errors)
        => TypedResults.ValidationProblem(errors);
}
