using TransferHub.Shared.Projects;

namespace TransferHub.Web.Features.Projects;

/// <summary>What each project role may do; every feature asks here, so UI and API agree.</summary>
public static class ProjectRules
{
    public const int MaxNameLength = 100;
    public const int MaxDescriptionLength = 2000;
}
