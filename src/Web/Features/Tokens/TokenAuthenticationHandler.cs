using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using TransferHub.Shared.Tokens;
using TransferHub.Web.Features.Identity;
using TransferHub.Web.Features.Workers;

namespace TransferHub.Web.Features.Tokens;

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;token&gt;</c>. A personal token acts as its owner with the
/// owner's current roles (and not at all once the owner is locked out); a worker token gets only the Worker role.
/// </summary>
public sealed class TokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TokenService tokens,
    EmbeddedWorkerSecret embeddedWorker,
    UserManager<AppUser> users,
    IProblemDetailsService problems) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Token";
    private const string FailureKey = "token-failure";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var secret = BearerSecret(Request);
        if (secret is null)
        {
            return AuthenticateResult.NoResult();
        }
        if (embeddedWorker.Matches(secret))
        {
            return Success(
                new Claim(ClaimTypes.NameIdentifier, EmbeddedWorkerSecret.PrincipalId),
                new Claim(ClaimTypes.Name, EmbeddedWorkerSecret.WorkerName),
                new Claim(ClaimTypes.Role, AppPrincipalExtensions.WorkerRole));
        }
        var (check, token) = await tokens.CheckAsync(secret, Context.RequestAborted);
        if (check != TokenCheck.Valid || token is null)
        {
            return Fail(check switch
            {
                TokenCheck.Expired => "The token has expired.",
                TokenCheck.Revoked => "The token has been revoked.",
                _ => "The token is not valid.",
            });
        }
        var claims = new List<Claim> { new("token_id", token.Id.ToString()) };
        if (token.Kind == TokenKind.Worker)
        {
            claims.Add(new Claim(ClaimTypes.NameIdentifier, "worker:" + token.Id));
            claims.Add(new Claim(ClaimTypes.Name, token.Name));
            claims.Add(new Claim(ClaimTypes.Role, AppPrincipalExtensions.WorkerRole));
        }
        else
        {
            var user = token.UserId is null ? null : await users.FindByIdAsync(token.UserId);
            if (user is null)
            {
                return Fail("The token's account no longer exists.");
            }
            if (await users.IsLockedOutAsync(user))
            {
                return Fail("The token's account is locked out.");
            }
            claims.Add(new Claim(ClaimTypes.NameIdentifier, user.Id));
            claims.Add(new Claim(ClaimTypes.Name, user.Email ?? user.Id));
            claims.AddRange((await users.GetRolesAsync(user)).Select(r => new Claim(ClaimTypes.Role, r)));
        }
        return Success([.. claims]);
    }

    private static AuthenticateResult Success(params Claim[] claims) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var reason = Context.Items[FailureKey] as string ?? "A valid bearer token is required.";
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails { Status = 401, Title = "Unauthorized", Detail = reason },
        });
    }

    /// <summary>
    /// The bearer header; on hub routes also the <c>access_token</c> query value, because browsers cannot
    /// set headers on WebSocket requests.
    /// </summary>
    public static string? BearerSecret(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header["Bearer ".Length..].Trim();
        }
        return request.Path.StartsWithSegments("/hubs") && request.Query.TryGetValue("access_token", out var query) ? query.ToString() : null;
    }

    private AuthenticateResult Fail(string reason)
    {
        Context.Items[FailureKey] = reason;
        return AuthenticateResult.Fail(reason);
    }
}
