using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TransferHub.Shared.Common;
using TransferHub.Shared.Tokens;
using TransferHub.Web.Data;
using TransferHub.Web.Infrastructure;
using TransferHub.Shared.Identity;
using TransferHub.Web.Features.Security;

namespace TransferHub.Web.Features.Tokens;

public enum TokenCheck
{
    Valid,
    Unknown,
    Expired,
    Revoked,
}

/// <summary>Creates, checks and revokes personal and worker tokens. Secrets are random, shown once and kept only as SHA-256.</summary>
public sealed class TokenService(IDbContextFactory<AppDbContext> dbFactory, TimeProvider clock, IOptions<ApiOptions> options, SecurityLog security)
{
    // A token's last use is written at most this often, so authentication does not write on every call.
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    public async Task<CreatedTokenDto> CreateAsync(TokenKind kind, CreateTokenRequest request, string? userId, string createdById, CancellationToken ct)
    {
        var name = request.Name?.Trim() ?? "";
        if (name.Length is 0 or > 100)
        {
            throw ValidationFailedException.For(nameof(request.Name), "A token needs a name of 1 to 100 characters.");
        }
        var secret = (kind == TokenKind.Worker ? Names.WorkerTokenPrefix : Names.PersonalTokenPrefix)
            + Base64Url(RandomNumberGenerator.GetBytes(32));
        var token = await StoreAsync(kind, name, secret, userId, createdById, ExpiryFor(kind, request.ExpiresInDays), ct);
        await security.RecordAsync(SecurityEventKind.TokenCreated, createdById, userId, name, null,
            $"{kind} token {token.Prefix}…, expires {token.ExpiresAt?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) ?? "never"}", ct);
        return new CreatedTokenDto(token.ToDto(), secret);
    }

    /// <summary>Stores a secret chosen by configuration (<c>Bootstrap:AdminToken</c>).</summary>
    public Task<ApiToken> ImportAsync(string name, string secret, string userId, CancellationToken ct) =>
        StoreAsync(TokenKind.Personal, name, secret, userId, userId, null, ct);

    public async Task<(TokenCheck Result, ApiToken? Token)> CheckAsync(string secret, CancellationToken ct)
    {
        var hash = Hashing.Sha256Hex(secret);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var token = await db.ApiTokens.SingleOrDefaultAsync(t => t.Hash == hash, ct);
        var now = clock.GetUtcNow();
        if (token is null)
        {
            return (TokenCheck.Unknown, null);
        }
        if (token.RevokedAt is not null)
        {
            return (TokenCheck.Revoked, token);
        }
        if (token.ExpiresAt <= now)
        {
            return (TokenCheck.Expired, token);
        }
        if (token.LastUsedAt is null || now - token.LastUsedAt > LastUsedResolution)
        {
            token.LastUsedAt = now;
            await db.SaveChangesAsync(ct);
        }
        return (TokenCheck.Valid, token);
    }

    public async Task<IReadOnlyList<TokenDto>> ListPersonalAsync(string userId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var tokens = await db.ApiTokens.Where(t => t.UserId == userId && t.Kind == TokenKind.Personal).ToListAsync(ct);
        return [.. tokens.OrderByDescending(t => t.CreatedAt).Select(t => t.ToDto())];
    }

    public async Task<IReadOnlyList<TokenDto>> ListWorkerAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var tokens = await db.ApiTokens.Where(t => t.Kind == TokenKind.Worker).ToListAsync(ct);
        return [.. tokens.OrderByDescending(t => t.CreatedAt).Select(t => t.ToDto())];
    }

    /// <summary>Revokes a token. A person may revoke their own personal tokens; an admin any token.</summary>
    public async Task RevokeAsync(Guid id, string actorId, bool actorIsAdmin, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var token = await db.ApiTokens.FindAsync([id], ct);
        if (token is null || (!actorIsAdmin && token.UserId != actorId))
        {
            throw new NotFoundException($"Token {id} does not exist.");
        }
        token.RevokedAt ??= clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        await security.RecordAsync(SecurityEventKind.TokenRevoked, actorId, token.UserId, token.Name, null, $"{token.Kind} token {token.Prefix}…", ct);
    }

    private async Task<ApiToken> StoreAsync(TokenKind kind, string name, string secret, string? userId, string createdById, DateTimeOffset? expiresAt, CancellationToken ct)
    {
        var token = new ApiToken
        {
            Kind = kind,
            Name = name,
            Hash = Hashing.Sha256Hex(secret),
            Prefix = secret[..Math.Min(8, secret.Length)],
            UserId = userId,
            CreatedById = createdById,
            CreatedAt = clock.GetUtcNow(),
            ExpiresAt = expiresAt,
        };
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.ApiTokens.Add(token);
        await db.SaveChangesAsync(ct);
        return token;
    }

    private DateTimeOffset? ExpiryFor(TokenKind kind, int? days)
    {
        var limits = options.Value;
        if (kind == TokenKind.Worker && days is 0)
        {
            return null;
        }
        var lifetime = days ?? limits.DefaultTokenLifetimeDays;
        if (lifetime < 1 || lifetime > limits.MaxTokenLifetimeDays)
        {
            throw ValidationFailedException.For("expiresInDays", $"A token lives 1 to {limits.MaxTokenLifetimeDays} days.");
        }
        return clock.GetUtcNow().AddDays(lifetime);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
