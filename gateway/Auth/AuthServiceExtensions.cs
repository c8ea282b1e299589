namespace Granary.Gateway.Auth;

public static class AuthServiceExtensions
{
    /// <summary>API-key authentication, the default policy (any user) and the admin policy.</summary>
    public static IHostApplicationBuilder AddGranaryAuth(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<GranaryAuthOptions>(builder.Configuration.GetSection(GranaryAuthOptions.Section));
        builder.Services.AddSingleton<AdminKeyStore>();
        builder.Services.AddSingleton<ApiKeyDirectory>();
        builder.Services.AddSingleton<ApiKeyCache>();
        builder.Services.AddSingleton<KeyCacheSubscription>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<KeyCacheSubscription>());
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(
                ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Roles.AdminPolicy, policy => policy.RequireAuthenticatedUser().RequireRole(Roles.Admin));
        return builder;
    }
}
