using System.Security.Claims;
using System.Text.Encodings.Web;
using Granary.Gateway.Browser;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Granary.Gateway.Auth;

/// <summary>
/// "Authorization: Bearer &lt;api key&gt;", or in browsers the sign-in cookie (UI and API origin) or an app cookie (a
/// session's app origin) made from a key by <see cref="BrowserTokens"/>. Missing or unknown keys are a 401 problem,
/// a missing role a 403 problem.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyDirectory directory,
    AppOrigins origins,
    BrowserTokens tokens,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return origins.SessionOf(Request.Host) is { } session ? await FromAppCookie(session) : await FromUiCookie();
        }

        const string prefix = "Bearer ";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) || header.Length == prefix.Length)
        {
            return AuthenticateResult.Fail("The Authorization header must be \"Bearer <api key>\".");
        }

        var hash = ApiKeys.Hash(header[prefix.Length..].Trim());
        var user = await directory.FindByHash(hash);
        return user is null ? AuthenticateResult.Fail("The API key is not valid.") : Success(user, hash, BrowserCookies.ViaHeader);
    }

    /// <summary>On the UI and API origin: the sign-in cookie (POST /v1/auth/session).</summary>
    private async Task<AuthenticateResult> FromUiCookie()
    {
        var hash = Request.Cookies.TryGetValue(BrowserCookies.Name(BrowserCookies.Ui, Request), out var token) ? tokens.UnprotectUi(token) : null;
        var user = hash is null ? null : await directory.FindByHash(hash);
        return user is null ? AuthenticateResult.NoResult() : Success(user, hash!, BrowserCookies.ViaUiCookie);
    }

    /// <summary>On a session's app origin: that origin's app cookie, valid for that session only.</summary>
    private async Task<AuthenticateResult> FromAppCookie(string session)
    {
        var grant = Request.Cookies.TryGetValue(BrowserCookies.Name(BrowserCookies.App, Request), out var token) ? tokens.UnprotectApp(token) : null;
        var user = grant is not null && grant.SessionId == session ? await directory.FindByHash(grant.KeyHash) : null;
        return user is null
            ? AuthenticateResult.NoResult()
            : Success(user, grant!.KeyHash, BrowserCookies.ViaAppCookie,
                new Claim(BrowserCookies.AppSessionClaim, grant.SessionId),
                new Claim(BrowserCookies.AsAdminClaim, grant.AsAdmin ? "true" : "false"));
    }

    private static AuthenticateResult Success(GranaryUser user, string keyHash, string via, params Claim[] extra)
    {
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, user.Name), new Claim(ClaimTypes.Role, user.Role), new Claim(BrowserCookies.ViaClaim, via),
             new Claim(BrowserCookies.KeyHashClaim, keyHash), .. extra],
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
