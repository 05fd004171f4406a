namespace TransferHub.Shared.Identity;

/// <summary>An account as the API returns it: locked out (failed sign-ins, for a while) or disabled (by an admin, until enabled).</summary>
public sealed record UserDto(string Id, string Email, string? DisplayName, IReadOnlyList<string> Roles, bool LockedOut, DateTimeOffset CreatedAt,
    bool Disabled = false);

/// <summary>Body of <c>POST /api/users</c> (Admin only).</summary>
public sealed record CreateUserRequest(string Email, string Password, string? DisplayName, IReadOnlyList<string>? Roles);

/// <summary>Body of <c>PUT /api/users/{userId}/roles</c> (Admin only).</summary>
public sealed record SetRolesRequest(IReadOnlyList<string> Roles);

/// <summary>Body of <c>PUT /api/users/{userId}/password</c> (Admin only): the account's new password.</summary>
public sealed record ResetPasswordRequest(string Password);
