using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Granary.Gateway.Auth;

/// <summary>"Authorization: Bearer &lt;api key&gt;". Missing or unknown keys are a 401 problem, a missing role a 403 problem.</summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyDirectory directory,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return await FromCookie();
        }

        const string prefix = "Bearer ";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) || header.Length == prefix.Length)
        {
            return AuthenticateResult.Fail("The Authorization header must be \"Bearer <api key>\".");
        }

        return await Authenticate(header[prefix.Length..].Trim(), via: "header");
    }

    private async Task<AuthenticateResult> FromCookie()
    {
        if (Context.GetEndpoint()?.Metadata.GetMetadata<ApiKeyCookieAllowed>() is null
            || !Request.Cookies.TryGetValue(ApiKeyCookie.Name, out var key)
            || string.IsNullOrEmpty(key))
        {
            return AuthenticateResult.NoResult();
        }

        return await Authenticate(key, ApiKeyCookie.ViaCookie);
    }

    private async Task<AuthenticateResult> Authenticate(string key, string via)
    {
        var found = await directory.Find(key);
        if (found.User is not { } user)
        {
            return AuthenticateResult.Fail(found.Refusal ?? "The API key is not valid.");
        }

        var identity = new ClaimsIdentity(
            [.. GranaryClaims.Of(user), new Claim(ApiKeyCookie.ViaClaim, via)],
            SchemeName, ClaimTypes.Name, ClaimTypes.Role);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "Unauthorized",
                Detail = result.Failure?.Message ?? "An API key is required: \"Authorization: Bearer <api key>\".",
            },
        });
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status403Forbidden,
                Title = "Forbidden",
                Detail = "This needs the admin role.",
            },
        });
    }
}
