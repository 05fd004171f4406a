using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using TransferHub.Registry.Features.Models;
using TransferHub.Shared.Common;
using TransferHub.Shared.Projects;

namespace TransferHub.Registry.Features.Access;

/// <summary>
/// Resolves the <c>{model}</c> of a route — an id, or a name unique among the projects the caller can see — and
/// checks the caller's project role for it.
/// </summary>
public sealed class ModelAccess(IRegistryDatabase database, IProjectMembership projects)
{
    /// <summary>The model and the caller's access to its project; NotFound, Conflict (an ambiguous name) or Forbidden otherwise.</summary>
    public async Task<(RegisteredModel Model, ProjectAccess Access)> RequireAsync(ClaimsPrincipal caller, string model, Func<ProjectAccess, bool> allowed, CancellationToken ct)
    {
        RegisteredModel? found;
        await using (var db = await database.OpenAsync(ct))
        {
            if (Guid.TryParse(model, out var id))
            {
                found = await db.RegisteredModels().AsNoTracking().SingleOrDefaultAsync(m => m.Id == id, ct);
            }
            else
            {
                var visible = await projects.VisibleProjectIdsAsync(caller, ct);
                var candidates = await db.RegisteredModels().AsNoTracking()
                    .Where(m => m.Name == model && (visible == null || visible.Contains(m.ProjectId)))
                    .ToListAsync(ct);
                if (candidates.Count > 1)
                {
                    throw new ConflictException($"Several of your projects have a model named '{model}'; use the model's id.");
                }
                found = candidates.SingleOrDefault();
            }
        }
        if (found is null)
        {
            throw new NotFoundException($"No model '{model}' that you can see.");
        }
        var access = await projects.RequireAsync(caller, found.ProjectId, allowed, ct);
        return (found, access);
    }
}
