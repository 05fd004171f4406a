namespace TransferHub.Shared.Tokens;

/// <summary>Who a token speaks for.</summary>
public enum TokenKind
{
    /// <summary>A person's personal access token for the REST API.</summary>
    Personal,
    /// <summary>A training worker's token for the worker hub and artifact transfer.</summary>
    Worker,
}

/// <summary>A token as listed: never its secret.</summary>
public sealed record TokenDto(
    Guid Id, TokenKind Kind, string Name, string Prefix, DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt);

/// <summary>Body of <c>POST /api/tokens</c> and <c>POST /api/admin/worker-tokens</c>.
/// <paramref name="ExpiresInDays"/> null means the default lifetime; 0 means no expiry (workers only).</summary>
public sealed record CreateTokenRequest(string Name, int? ExpiresInDays);

/// <summary>Body of <c>POST /api/auth/token</c>: exchanges a password for a personal access token.</summary>
public sealed record PasswordTokenRequest(string Email, string Password, string? Name, int? ExpiresInDays);

/// <summary>A new token. <paramref name="Token"/> is shown this once and stored only as a hash.</summary>
public sealed record CreatedTokenDto(TokenDto Info, string Token);
