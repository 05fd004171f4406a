using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using TransferHub.Shared.Tokens;
using TransferHub.Web.Features.Identity;
using TransferHub.Web.Infrastructure;
using TransferHub.Shared.Identity;
using TransferHub.Web.Features.Security;

namespace TransferHub.Web.Features.Tokens;

public static class TokenEndpoints
{
    public static RouteGroupBuilder MapTokenEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/auth/token", async (PasswordTokenRequest request, UserManager<AppUser> users,
            SignInManager<AppUser> signIn, TokenService tokens, SecurityLog security, HttpContext http, CancellationToken ct) =>
        {
            var email = request.Email ?? "";
            var address = http.Connection.RemoteIpAddress?.ToString();
            var user = await users.FindByEmailAsync(email);
            if (user is null)
            {
                EqualTimeSignIn.SpendAPasswordCheck(users.PasswordHasher, request.Password);
                await security.RecordAsync(SecurityEventKind.SignInFailed, null, null, email, address, "token exchange: no such account", ct);
                throw new UnauthorizedException("Wrong e-mail or password.");
            }
            var result = await signIn.CheckPasswordSignInAsync(user, request.Password ?? "", lockoutOnFailure: true);
            if (result.IsLockedOut)
            {
                await security.RecordAsync(SecurityEventKind.LockedOut, null, user.Id, email, address, "token exchange refused: account locked", ct);
                throw new UnauthorizedException("This account is locked after repeated failed sign-ins; try again later or ask an admin.");
            }
            if (!result.Succeeded)
            {
                await security.RecordAsync(SecurityEventKind.SignInFailed, null, user.Id, email, address, "token exchange: wrong password", ct);
                throw new UnauthorizedException("Wrong e-mail or password.");
            }
            await security.RecordAsync(SecurityEventKind.SignedIn, user.Id, user.Id, email, address, "token exchange (password)", ct);
            var created = await tokens.CreateAsync(TokenKind.Personal,
                new CreateTokenRequest(request.Name ?? "api", request.ExpiresInDays), user.Id, user.Id, ct);
            return Results.Created($"/api/tokens/{created.Info.Id}", created);
        }).AllowAnonymous().WithTags("Tokens")
            .WithSummary("Exchanges an e-mail and password for a personal access token (for scripts). Counts towards lockout; rate-limited per address.");

        var mine = api.MapGroup("/tokens").WithTags("Tokens");
        mine.MapGet("/", (ClaimsPrincipal user, TokenService tokens, CancellationToken ct) => tokens.ListPersonalAsync(user.UserId(), ct))
            .WithSummary("The caller's personal access tokens (never their secrets).");
        mine.MapPost("/", async (CreateTokenRequest request, ClaimsPrincipal user, TokenService tokens, CancellationToken ct) =>
        {
            var created = await tokens.CreateAsync(TokenKind.Personal, request, user.UserId(), user.UserId(), ct);
            return Results.Created($"/api/tokens/{created.Info.Id}", created);
        }).WithSummary("Creates a personal access token; the secret is in this response only.");
        mine.MapDelete("/{tokenId:guid}", async (Guid tokenId, ClaimsPrincipal user, TokenService tokens, CancellationToken ct) =>
        {
            await tokens.RevokeAsync(tokenId, user.UserId(), user.IsAdmin(), ct);
            return Results.NoContent();
        }).WithSummary("Revokes a token at once.");

        var workers = api.MapGroup("/admin/worker-tokens").WithTags("Tokens").RequireAuthorization(AuthorizationPolicies.Admin);
        workers.MapGet("/", (TokenService tokens, CancellationToken ct) => tokens.ListWorkerAsync(ct)).WithSummary("Worker tokens (Admin).");
        workers.MapPost("/", async (CreateTokenRequest request, ClaimsPrincipal user, TokenService tokens, CancellationToken ct) =>
        {
            var created = await tokens.CreateAsync(TokenKind.Worker, request, null, user.UserId(), ct);
            return Results.Created($"/api/admin/worker-tokens/{created.Info.Id}", created);
        }).WithSummary("Creates a token for a training worker (Admin); expiresInDays 0 means no expiry.");
        workers.MapDelete("/{tokenId:guid}", async (Guid tokenId, ClaimsPrincipal user, TokenService tokens, CancellationToken ct) =>
        {
            await tokens.RevokeAsync(tokenId, user.UserId(), true, ct);
            return Results.NoContent();
        }).WithSummary("Revokes a worker token (Admin).");
        return api;
    }
}
