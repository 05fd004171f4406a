namespace TransferHub.Shared.Identity;

/// <summary>What happened to an account or a credential.</summary>
public enum SecurityEventKind
{
    /// <summary>A password sign-in succeeded (the form, or a token exchange).</summary>
    SignedIn,
    /// <summary>A password sign-in failed: no such account, or a wrong password.</summary>
    SignInFailed,
    /// <summary>A sign-in was refused because the account is locked.</summary>
    LockedOut,
    /// <summary>An account was created.</summary>
    AccountCreated,
    /// <summary>An account's global roles changed.</summary>
    RolesChanged,
    /// <summary>An admin lifted an account's lockout.</summary>
    AccountUnlocked,
    /// <summary>A personal or worker token was created.</summary>
    TokenCreated,
    /// <summary>A token was revoked.</summary>
    TokenRevoked,
    /// <summary>An admin disabled an account: no sign-in, no token works, until enabled.</summary>
    AccountDisabled,
    /// <summary>An admin enabled a disabled account again.</summary>
    AccountEnabled,
    /// <summary>An admin set a new password for an account.</summary>
    PasswordReset,
    /// <summary>A backup (the whole database and every artifact) was downloaded.</summary>
    BackupDownloaded,
}

/// <summary>One line of the security log: who did it, to whom, from where.</summary>
public sealed record SecurityEventDto(long Sequence, DateTimeOffset At, SecurityEventKind Kind, string? ActorId, string? Actor,
    string? SubjectId, string Subject, string? Address, string Detail);
