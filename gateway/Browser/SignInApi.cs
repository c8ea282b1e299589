using Granary.Gateway.Auth;
using Granary.Gateway.Hosting;
using Granary.Gateway.Http;
using Granary.Gateway.Users;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Granary.Gateway.Browser;

/// <summary>
/// The web UI's sign-in: POST /v1/auth/session {key} sends the API key once and gets the HttpOnly, SameSite=Strict
/// sign-in cookie (Secure on https), which authenticates the UI's REST calls from then on; the page never keeps the
/// key. DELETE /v1/auth/session signs out (removes the cookie).
/// </summary>
public static class SignInApi
{
    public static IEndpointRouteBuilder MapSignInApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/auth/session").WithTags("Users");
        group.MapPost("/", SignIn).AllowAnonymous().Accepts<SignInRequest>("application/json");
        group.MapDelete("/", SignOut).AllowAnonymous();
        return app;
    }

    public static async Task<Results<Ok<UserResponse>, ValidationProblem, ProblemHttpResult>> SignIn(
        HttpContext context, ApiKeyDirectory directory, BrowserTokens tokens)
    {
        if (string.IsNullOrEmpty(context.Request.Headers[BrowserCookies.CsrfHeader]))
        {
            return Problems.Forbidden($"Sign in from Granary's page (the request needs the {BrowserCookies.CsrfHeader} header).");
        }

        var body = await JsonRequestBody.Read<SignInRequest>(context.Request, GatewayServiceExtensions.RequestJson);
        if (!body.IsValid)
        {
            return Problems.Invalid(body.Errors);
        }

        if (string.IsNullOrWhiteSpace(body.Value!.Key))
        {
            return Problems.Invalid("key", "Paste your API key.");
        }

        var hash = ApiKeys.Hash(body.Value.Key.Trim());
        var user = await directory.FindByHash(hash);
        if (user is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", detail: "That API key is not valid.");
        }

        var request = context.Request;
        context.Response.Cookies.Append(
            BrowserCookies.Name(BrowserCookies.Ui, request), tokens.ProtectUi(hash), BrowserCookies.Options(request, SameSiteMode.Strict));
        return TypedResults.Ok(new UserResponse(user.Name, user.Role, null));
    }

    public static NoContent SignOut(HttpContext context)
    {
        var request = context.Request;
        context.Response.Cookies.Delete(BrowserCookies.Name(BrowserCookies.Ui, request), BrowserCookies.Options(request, SameSiteMode.Strict));
        return TypedResults.NoContent();
    }
}

public sealed record SignInRequest(string? Key);
