using TransferHub.Shared.Projects;

namespace TransferHub.Web.Features.Projects;

/// <summary>What each project role may do; every feature asks here, so UI and API agree.</summary>
public static class ProjectRules
{
    public const int MaxNameLength = 100;
    public const int MaxDescriptionLength = 2000;

    public static bool CanManage(ProjectRole? role) => role == ProjectRole.Owner;

    public static bool CanEditData(ProjectRole? role) => role is ProjectRole.Owner or ProjectRole.Scientist;

    public static bool CanLabel(ProjectRole? role) => role is ProjectRole.Owner or ProjectRole.Scientist or ProjectRole.Reviewer or ProjectRole.Labeler;

    public static bool CanReview(ProjectRole? role) => role is ProjectRole.Owner or ProjectRole.Reviewer;
}

/// <summary>The caller's standing in one project: null role means not a member (admins pass every check).</summary>
public sealed record ProjectAccess(Guid ProjectId, ProjectRole? Role, bool IsAdmin)
{
    public bool CanRead => IsAdmin || Role is not null;
    public bool CanManage => IsAdmin || ProjectRules.CanManage(Role);
    public bool CanEditData => IsAdmin || ProjectRules.CanEditData(Role);
    public bool CanLabel => IsAdmin || ProjectRules.CanLabel(Role);
    public bool CanReview => IsAdmin || ProjectRules.CanReview(Role);
}
