using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using TransferHub.Shared.Projects;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Notifications;

namespace TransferHub.Web.Features.Projects;

/// <summary>Projects and their members. The portal and the REST API both call this, with the caller's principal.</summary>
public sealed class ProjectService(IDbContextFactory<AppDbContext> dbFactory, NotificationService notifications, TimeProvider clock) : IProjectMembership
{
    public async Task<IReadOnlyList<ProjectDto>> ListAsync(ClaimsPrincipal caller, CancellationToken ct)
    {
        var userId = caller.UserId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Projects.AsNoTracking();
        if (!caller.IsAdmin())
        {
            query = query.Where(p => p.Members.Any(m => m.UserId == userId));
        }
        var rows = await query.Select(p => new
        {
            Project = p,
            Creator = db.Users.Where(u => u.Id == p.CreatedById).Select(u => u.Email).FirstOrDefault(),
            Count = p.Members.Count,
            Mine = p.Members.Where(m => m.UserId == userId).Select(m => (ProjectRole?)m.Role).FirstOrDefault(),
        }).ToListAsync(ct);
        return [.. rows.OrderBy(r => r.Project.Name, StringComparer.OrdinalIgnoreCase)
            .Select(r => ToDto(r.Project, r.Creator, r.Count, r.Mine))];
    }

    public async Task<ProjectDto> GetAsync(ClaimsPrincipal caller, Guid projectId, CancellationToken ct)
    {
        var access = await RequireAsync(caller, projectId, a => a.CanRead, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var project = await db.Projects.AsNoTracking().SingleAsync(p => p.Id == projectId, ct);
        var creator = await db.Users.Where(u => u.Id == project.CreatedById).Select(u => u.Email).FirstOrDefaultAsync(ct);
        var count = await db.ProjectMembers.CountAsync(m => m.ProjectId == projectId, ct);
        return ToDto(project, creator, count, access.Role);
    }

    public async Task<ProjectDto> CreateAsync(ClaimsPrincipal caller, CreateProjectRequest request, CancellationToken ct)
    {
        var userId = caller.UserId();
        if (!caller.IsAdmin() && !caller.IsInRole(AppRoles.Scientist))
        {
            throw new ForbiddenException("Only Admins and Scientists create projects.");
        }
        var (name, description) = Validate(request.Name, request.Description);
        var now = clock.GetUtcNow();
        var project = new Project { Name = name, Description = description, CreatedAt = now, CreatedById = userId };
        project.Members.Add(new ProjectMember { UserId = userId, Role = ProjectRole.Owner, AddedAt = now });
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await ThrowIfNameTakenAsync(db, name, null, ct);
        db.Projects.Add(project);
        await db.SaveChangesAsync(ct);
        return ToDto(project, caller.Identity?.Name, 1, ProjectRole.Owner);
    }

    public async Task<ProjectDto> UpdateAsync(ClaimsPrincipal caller, Guid projectId, UpdateProjectRequest request, CancellationToken ct)
    {
        await RequireAsync(caller, projectId, a => a.CanManage, ct);
        var (name, description) = Validate(request.Name, request.Description);
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            await ThrowIfNameTakenAsync(db, name, projectId, ct);
            var project = await db.Projects.SingleAsync(p => p.Id == projectId, ct);
            project.Name = name;
            project.Description = description;
            await db.SaveChangesAsync(ct);
        }
        return await GetAsync(caller, projectId, ct);
    }

    public async Task DeleteAsync(ClaimsPrincipal caller, Guid projectId, CancellationToken ct)
    {
        await RequireAsync(caller, projectId, a => a.CanManage, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Versions first: their rows point at items without a cascade (SQL Server allows one cascade path).
        await db.DatasetVersions.Where(v => db.Datasets.Any(d => d.Id == v.DatasetId && d.ProjectId == projectId)).ExecuteDeleteAsync(ct);
        await db.Projects.Where(p => p.Id == projectId).ExecuteDeleteAsync(ct);
    }

    public async Task<IReadOnlyList<ProjectMemberDto>> ListMembersAsync(ClaimsPrincipal caller, Guid projectId, CancellationToken ct)
    {
        await RequireAsync(caller, projectId, a => a.CanRead, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var members = await db.ProjectMembers.AsNoTracking().Where(m => m.ProjectId == projectId).Include(m => m.User).ToListAsync(ct);
        return [.. members.OrderByDescending(m => m.Role).ThenBy(m => m.User!.Email).Select(ToDto)];
    }

    /// <summary>Adds a member, or changes the role of one who already is.</summary>
    public async Task<ProjectMemberDto> AddMemberAsync(ClaimsPrincipal caller, Guid projectId, AddMemberRequest request, CancellationToken ct)
    {
        await RequireAsync(caller, projectId, a => a.CanManage, ct);
        if (!Enum.IsDefined(request.Role))
        {
            throw ValidationFailedException.For("role", $"Roles: {string.Join(", ", Enum.GetNames<ProjectRole>())}.");
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var email = request.Email?.Trim().ToUpperInvariant();
        var user = await db.Users.SingleOrDefaultAsync(u => (request.UserId != null && u.Id == request.UserId) || (email != null && u.NormalizedEmail == email), ct)
            ?? throw ValidationFailedException.For(request.UserId is null ? "email" : "userId", "No account matches; an admin creates accounts first.");
        var member = await db.ProjectMembers.Include(m => m.User).SingleOrDefaultAsync(m => m.ProjectId == projectId && m.UserId == user.Id, ct);
        var isNew = member is null;
        if (member is null)
        {
            member = new ProjectMember { ProjectId = projectId, UserId = user.Id, User = user, Role = request.Role, AddedAt = clock.GetUtcNow() };
            db.ProjectMembers.Add(member);
        }
        else
        {
            if (member.Role == ProjectRole.Owner && request.Role != ProjectRole.Owner)
            {
                await ThrowIfLastOwnerAsync(db, projectId, ct);
            }
            member.Role = request.Role;
        }
        await db.SaveChangesAsync(ct);
        var projectName = await db.Projects.Where(p => p.Id == projectId).Select(p => p.Name).SingleAsync(ct);
        await notifications.PostAsync(user.Id,
            isNew ? $"You were added to {projectName}" : $"Your role in {projectName} changed",
            $"Role: {request.Role}.", $"/projects/{projectId}", ct);
        return ToDto(member);
    }

    public async Task RemoveMemberAsync(ClaimsPrincipal caller, Guid projectId, string userId, CancellationToken ct)
    {
        await RequireAsync(caller, projectId, a => a.CanManage, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var member = await db.ProjectMembers.SingleOrDefaultAsync(m => m.ProjectId == projectId && m.UserId == userId, ct)
            ?? throw new NotFoundException($"User {userId} is not a member of this project.");
        if (member.Role == ProjectRole.Owner)
        {
            await ThrowIfLastOwnerAsync(db, projectId, ct);
        }
        db.ProjectMembers.Remove(member);
        await db.SaveChangesAsync(ct);
    }

    /// <summary>The caller's access to a project: 404 when it does not exist, 403 when <paramref name="allowed"/> says no.</summary>
    public async Task<IReadOnlyCollection<Guid>?> VisibleProjectIdsAsync(ClaimsPrincipal caller, CancellationToken ct)
    {
        if (caller.IsAdmin())
        {
            return null;
        }
        var userId = caller.UserId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ProjectMembers.Where(m => m.UserId == userId).Select(m => m.ProjectId).ToListAsync(ct);
    }

    public async Task<IReadOnlyDictionary<Guid, string>> VisibleProjectNamesAsync(ClaimsPrincipal caller, CancellationToken ct) =>
        (await ListAsync(caller, ct)).ToDictionary(p => p.Id, p => p.Name);

    public async Task<string> NameAsync(Guid projectId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Projects.Where(p => p.Id == projectId).Select(p => p.Name).SingleOrDefaultAsync(ct)
            ?? throw new NotFoundException($"Project {projectId} does not exist.");
    }

    public async Task<IReadOnlyList<string>> MemberIdsAsync(Guid projectId, ProjectRole role, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ProjectMembers.Where(m => m.ProjectId == projectId && m.Role == role).Select(m => m.UserId).ToListAsync(ct);
    }

    public async Task<ProjectAccess> RequireAsync(ClaimsPrincipal caller, Guid projectId, Func<ProjectAccess, bool> allowed, CancellationToken ct)
    {
        var userId = caller.UserId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var project = await db.Projects.AsNoTracking().Where(p => p.Id == projectId)
            .Select(p => new { Role = p.Members.Where(m => m.UserId == userId).Select(m => (ProjectRole?)m.Role).FirstOrDefault() })
            .SingleOrDefaultAsync(ct) ?? throw new NotFoundException($"Project {projectId} does not exist.");
        var access = new ProjectAccess(projectId, project.Role, caller.IsAdmin());
        if (!allowed(access))
        {
            throw new ForbiddenException(access.CanRead
                ? "Your role in this project does not allow this."
                : "You are not a member of this project.");
        }
        return access;
    }

    private static async Task ThrowIfLastOwnerAsync(AppDbContext db, Guid projectId, CancellationToken ct)
    {
        if (await db.ProjectMembers.CountAsync(m => m.ProjectId == projectId && m.Role == ProjectRole.Owner, ct) <= 1)
        {
            throw new ConflictException("A project keeps at least one Owner; make someone else Owner first.");
        }
    }

    private static async Task ThrowIfNameTakenAsync(AppDbContext db, string name, Guid? except, CancellationToken ct)
    {
        if (await db.Projects.AnyAsync(p => p.Name == name && p.Id != except, ct))
        {
            throw new ConflictException($"A project named '{name}' already exists.");
        }
    }

    private static (string Name, string? Description) Validate(string? name, string? description)
    {
        name = name?.Trim() ?? "";
        description = string.IsNullOrWhiteSpace(description) ? null : description.Trim();
        var errors = new Dictionary<string, string[]>();
        if (name.Length is 0 or > ProjectRules.MaxNameLength)
        {
            errors["name"] = [$"A project needs a name of 1 to {ProjectRules.MaxNameLength} characters."];
        }
        if (description?.Length > ProjectRules.MaxDescriptionLength)
        {
            errors["description"] = [$"The description is limited to {ProjectRules.MaxDescriptionLength} characters."];
        }
        return errors.Count > 0 ? throw new ValidationFailedException(errors) : (name, description);
    }

    private static ProjectDto ToDto(Project p, string? creator, int members, ProjectRole? mine) =>
        new(p.Id, p.Name, p.Description, p.CreatedAt, creator ?? p.CreatedById, members, mine);

    private static ProjectMemberDto ToDto(ProjectMember m) =>
        new(m.UserId, m.User?.Email ?? "", m.User?.DisplayName, m.Role, m.AddedAt);
}
