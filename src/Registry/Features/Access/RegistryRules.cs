using System.Text.Json;
using System.Text.Json.Serialization;
using TransferHub.Shared.Identity;
using TransferHub.Shared.Projects;
using TransferHub.Registry.Features.Models;

namespace TransferHub.Registry.Features.Access;

/// <summary>Limits and who-may-do-what of the registry, in one place so the API and the pages agree.</summary>
public static class RegistryRules
{
    public const int MaxNameLength = ModelLimits.MaxNameLength;
    public const int MaxDescriptionLength = ModelLimits.MaxDescriptionLength;
    public const int MaxCommentLength = ModelLimits.MaxCommentLength;
    public const int MaxTags = 20;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    /// <summary>Project Approvers and Owners decide on production; so do people with the global Approver role, and Admins.</summary>
    public static bool CanApprove(ProjectAccess access, System.Security.Claims.ClaimsPrincipal caller) =>
        access.IsAdmin || access.Role is ProjectRole.Owner or ProjectRole.Approver || caller.IsInRole(AppRoles.Approver);

    /// <summary>Members read a project's models; global Approvers read every model, since they decide on any project's production.</summary>
    public static bool CanReview(ProjectAccess access, System.Security.Claims.ClaimsPrincipal caller) => access.CanRead || caller.IsInRole(AppRoles.Approver);
}
