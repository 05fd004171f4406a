using System.Security.Claims;

namespace TransferHub.Shared.Projects;

/// <summary>What each project role may do; every feature asks here, so UI and API agree.</summary>
public static class ProjectPermissions
{
    /// <summary>Members, roles and the project's settings.</summary>
    public static bool CanManage(ProjectRole? role) => role == ProjectRole.Owner;

    /// <summary>Datasets, imports, versions, experiments and models.</summary>
    public static bool CanEditData(ProjectRole? role) => role is ProjectRole.Owner or ProjectRole.Scientist;

    /// <summary>Annotating items.</summary>
    public static bool CanLabel(ProjectRole? role) => role is ProjectRole.Owner or ProjectRole.Scientist or ProjectRole.Reviewer or ProjectRole.Labeler;

    /// <summary>Settling disagreements and bulk relabeling.</summary>
    public static bool CanReview(ProjectRole? role) => role is ProjectRole.Owner or ProjectRole.Reviewer;
}

/// <summary>The caller's standing in one project: null role means not a member (admins pass every check).</summary>
public sealed record ProjectAccess(Guid ProjectId, ProjectRole? Role, bool IsAdmin)
{
    /// <summary>A member, or an admin.</summary>
    public bool CanRead => IsAdmin || Role is not null;
    /// <summary>See <see cref="ProjectPermissions.CanManage"/>.</summary>
    public bool CanManage => IsAdmin || ProjectPermissions.CanManage(Role);
    /// <summary>See <see cref="ProjectPermissions.CanEditData"/>.</summary>
    public bool CanEditData => IsAdmin || ProjectPermissions.CanEditData(Role);
    /// <summary>See <see cref="ProjectPermissions.CanLabel"/>.</summary>
    public bool CanLabel => IsAdmin || ProjectPermissions.CanLabel(Role);
    /// <summary>See <see cref="ProjectPermissions.CanReview"/>.</summary>
    public bool CanReview => IsAdmin || ProjectPermissions.CanReview(Role);
}

/// <summary>
/// Project membership as other modules ask for it (the registry checks a model's project with it); the projects
/// feature answers.
/// </summary>
public interface IProjectMembership
{
    /// <summary>The caller's access to the project; NotFound when it does not exist, Forbidden when <paramref name="allowed"/> says no.</summary>
    Task<ProjectAccess> RequireAsync(ClaimsPrincipal caller, Guid projectId, Func<ProjectAccess, bool> allowed, CancellationToken ct);

    /// <summary>The projects the caller is a member of; null for an admin, who sees every project.</summary>
    Task<IReadOnlyCollection<Guid>?> VisibleProjectIdsAsync(ClaimsPrincipal caller, CancellationToken ct);

    /// <summary>The user ids of the project's members who hold <paramref name="role"/>.</summary>
    Task<IReadOnlyList<string>> MemberIdsAsync(Guid projectId, ProjectRole role, CancellationToken ct);

    /// <summary>The names of the projects the caller sees (every project for an admin), by id.</summary>
    Task<IReadOnlyDictionary<Guid, string>> VisibleProjectNamesAsync(ClaimsPrincipal caller, CancellationToken ct);

    /// <summary>A project's name; NotFound when it does not exist.</summary>
    Task<string> NameAsync(Guid projectId, CancellationToken ct);
}
