namespace TransferHub.Shared.Identity;

/// <summary>An account as the API returns it.</summary>
public sealed record UserDto(string Id, string Email, string? DisplayName, IReadOnlyList<string> Roles, bool LockedOut, DateTimeOffset CreatedAt);

/// <summary>Body of <c>POST /api/users</c> (Admin only).</summary>
public sealed record CreateUserRequest(string Email, string Password, string? DisplayName, IReadOnlyList<string>? Roles);

/// <summary>Body of <c>PUT /api/users/{userId}/roles</c> (Admin only).</summary>
public sealed record SetRolesRequest(IReadOnlyList<string> Roles);
