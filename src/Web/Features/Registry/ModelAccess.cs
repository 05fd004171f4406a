using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Identity;
using TransferHub.Web.Features.Projects;
using TransferHub.Web.Infrastructure;
using TransferHub.Registry.Features.Models;

namespace TransferHub.Web.Features.Registry;

/// <summary>
/// Resolves the <c>{model}</c> of a route — an id, or a name unique among the projects the caller can see — and
/// checks the caller's project role for it.
/// </summary>
public sealed class ModelAccess(IDbContextFactory<AppDbContext> dbFactory, ProjectService projects)
{
    public async Task<(RegisteredModel Model, ProjectAccess Access)> RequireAsync(ClaimsPrincipal caller, string model, Func<ProjectAccess, bool> allowed, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        RegisteredModel? found;
        if (Guid.TryParse(model, out var id))
        {
            found = await db.RegisteredModels().AsNoTracking().SingleOrDefaultAsync(m => m.Id == id, ct);
        }
        else
        {
            var userId = caller.UserId();
            var admin = caller.IsAdmin();
            var candidates = await db.RegisteredModels().AsNoTracking()
                .Where(m => m.Name == model && (admin || db.ProjectMembers.Any(p => p.ProjectId == m.ProjectId && p.UserId == userId)))
                .ToListAsync(ct);
            if (candidates.Count > 1)
            {
                throw new ConflictException($"Several of your projects have a model named '{model}'; use the model's id.");
            }
            found = candidates.SingleOrDefault();
        }
        if (found is null)
        {
            throw new NotFoundException($"No model '{model}' that you can see.");
        }
        var access = await projects.RequireAsync(caller, found.ProjectId, allowed, ct);
        return (found, access);
    }
}
