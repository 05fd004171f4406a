using System.Security.Claims;
using TransferHub.Shared.Projects;

namespace TransferHub.Web.Features.Projects;

public static class ProjectEndpoints
{
    public static RouteGroupBuilder MapProjectEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/projects").WithTags("Projects");
        group.MapGet("/", (ClaimsPrincipal user, ProjectService projects, CancellationToken ct) => projects.ListAsync(user, ct))
            .WithSummary("Projects the caller belongs to (every project for an Admin).");
        group.MapPost("/", async (CreateProjectRequest request, ClaimsPrincipal user, ProjectService projects, CancellationToken ct) =>
        {
            var project = await projects.CreateAsync(user, request, ct);
            return Results.Created($"/api/projects/{project.Id}", project);
        }).WithSummary("Creates a project; the caller becomes its Owner (Admin or Scientist).");
        group.MapGet("/{projectId:guid}", (Guid projectId, ClaimsPrincipal user, ProjectService projects, CancellationToken ct) =>
            projects.GetAsync(user, projectId, ct)).WithSummary("One project (members only).");
        group.MapPut("/{projectId:guid}", (Guid projectId, UpdateProjectRequest request, ClaimsPrincipal user, ProjectService projects, CancellationToken ct) =>
            projects.UpdateAsync(user, projectId, request, ct)).WithSummary("Renames or re-describes a project (Owner).");
        group.MapDelete("/{projectId:guid}", async (Guid projectId, ClaimsPrincipal user, ProjectService projects, CancellationToken ct) =>
        {
            await projects.DeleteAsync(user, projectId, ct);
            return Results.NoContent();
        }).WithSummary("Deletes a project and everything in it (Owner).");

        var members = group.MapGroup("/{projectId:guid}/members");
        members.MapGet("/", (Guid projectId, ClaimsPrincipal user, ProjectService projects, CancellationToken ct) =>
            projects.ListMembersAsync(user, projectId, ct)).WithSummary("Members and their roles.");
        members.MapPost("/", (Guid projectId, AddMemberRequest request, ClaimsPrincipal user, ProjectService projects, CancellationToken ct) =>
            projects.AddMemberAsync(user, projectId, request, ct)).WithSummary("Adds a member or changes a member's role (Owner).");
        members.MapDelete("/{userId}", async (Guid projectId, string userId, ClaimsPrincipal user, ProjectService projects, CancellationToken ct) =>
        {
            await projects.RemoveMemberAsync(user, projectId, userId, ct);
            return Results.NoContent();
        }).WithSummary("Removes a member (Owner); the last Owner stays.");
        return api;
    }
}
