using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace Granary.Gateway.Browser;

/// <summary>
/// What the gateway gives browsers instead of an API key: encrypted, authenticated, time-limited tokens (ASP.NET Core
/// data protection) that name the key by its hash. A token is only as good as the key behind it: every use looks the
/// hash up again, so revoking the key ends every sign-in and app cookie made with it.
/// </summary>
public sealed class BrowserTokens(IDataProtectionProvider provider, IOptions<AppsOptions> options, TimeProvider clock)
{
    public static readonly TimeSpan TicketLifetime = TimeSpan.FromMinutes(1);

    private readonly ITimeLimitedDataProtector _ui = provider.CreateProtector("Granary.Browser.UiCookie").ToTimeLimitedDataProtector();
    private readonly ITimeLimitedDataProtector _app = provider.CreateProtector("Granary.Browser.AppCookie").ToTimeLimitedDataProtector();
    private readonly ITimeLimitedDataProtector _ticket = provider.CreateProtector("Granary.Browser.AppTicket").ToTimeLimitedDataProtector();

    public TimeSpan CookieLifetime => options.Value.CookieLifetime;

    /// <summary>The UI's sign-in cookie: the key's hash.</summary>
    public string ProtectUi(string keyHash) => _ui.Protect(keyHash, clock.GetUtcNow() + CookieLifetime);

    public string? UnprotectUi(string token) => Unprotect(_ui, token);

    /// <summary>An app origin's cookie: the key's hash, the one session it opens, and whether an admin opened it as admin.</summary>
    public string ProtectApp(AppGrant grant) => _app.Protect(grant.Format(), clock.GetUtcNow() + CookieLifetime);

    public AppGrant? UnprotectApp(string token) => AppGrant.Parse(Unprotect(_app, token));

    /// <summary>
    /// A one-use, one-minute ticket the UI origin hands to an app origin in a link, which turns it into the app cookie
    /// and then shows the app.
    /// </summary>
    public (string Ticket, DateTimeOffset ExpiresAt) ProtectTicket(AppGrant grant, string app)
    {
        var expires = clock.GetUtcNow() + TicketLifetime;
        var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        return (_ticket.Protect($"{nonce}\n{app}\n{grant.Format()}", expires), expires);
    }

    public (string Nonce, string App, AppGrant Grant)? UnprotectTicket(string ticket)
    {
        var parts = Unprotect(_ticket, ticket)?.Split('\n', 3);
        return parts is [var nonce, var app, var rest] && AppGrant.Parse(rest) is { } grant ? (nonce, app, grant) : null;
    }

    private static string? Unprotect(ITimeLimitedDataProtector protector, string token)
    {
        try
        {
            return protector.Unprotect(token, out _);
        }
        catch (CryptographicException)
        {
            return null; // tampered, expired, or made with keys this gateway does not have: not a credential
        }
    }
}

/// <summary>Access to one session's apps: whose key, which session, and whether an admin opened another user's session.</summary>
public sealed record AppGrant(string KeyHash, string SessionId, bool AsAdmin)
{
    public string Format() => $"{KeyHash}\n{SessionId}\n{(AsAdmin ? "admin" : "owner")}";

    public static AppGrant? Parse(string? text)
    {
        var parts = text?.Split('\n');
        return parts is [var hash, var session, "admin" or "owner"] ? new AppGrant(hash, session, parts[2] == "admin") : null;
    }
}
