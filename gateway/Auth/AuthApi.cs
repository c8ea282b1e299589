using Microsoft.AspNetCore.Http.HttpResults;

namespace Granary.Gateway.Auth;

/// <summary>POST /v1/auth/cookie puts the caller's API key in the app cookie (for the web UI); DELETE removes it.</summary>
public static class AuthApi
{
    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/auth").WithTags("Users");
        group.MapPost("/cookie", SetCookie).RequireAuthorization();
        group.MapDelete("/cookie", DeleteCookie).AllowAnonymous();
        return app;
    }

    public static NoContent SetCookie(HttpContext context)
    {
        // Authenticated by the Authorization header (this endpoint does not accept the cookie), so the key is there.
        var key = context.Request.Headers.Authorization.ToString()["Bearer ".Length..].Trim();
        context.Response.Cookies.Append(ApiKeyCookie.Name, key, Options(context));
        return TypedResults.NoContent();
    }

    public static NoContent DeleteCookie(HttpContext context)
    {
        context.Response.Cookies.Delete(ApiKeyCookie.Name, Options(context));
        return TypedResults.NoContent();
    }

    private static CookieOptions Options(HttpContext context) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = context.Request.IsHttps,
        Path = ApiKeyCookie.Path,
        IsEssential = true,
    };
}
