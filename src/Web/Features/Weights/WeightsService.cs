using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Shared.Identity;
using TransferHub.Shared.Weights;
using TransferHub.Shared.Training;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Identity;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Weights;

/// <summary>
/// Imported pretrained weights: a file is loaded into its architecture before it is accepted (a file that
/// does not fit is refused with every mismatched shape), converted to safetensors and stored by hash.
/// Anyone signed in can list them and use them as sources; Admins and Scientists import.
/// </summary>
public sealed class WeightsService(IDbContextFactory<AppDbContext> dbFactory, IArtifactStore artifacts, ITrainingEngine engine, TimeProvider clock)
{
    public async Task<PretrainedWeightsDto> ImportAsync(ClaimsPrincipal caller, Stream content, string fileName, string? name, string? architecture,
        int? numClasses, CancellationToken ct, OnnxImportOptions? onnx = null)
    {
        if (!caller.IsInRole(AppRoles.Admin) && !caller.IsInRole(AppRoles.Scientist))
        {
            throw new ForbiddenException("Importing weights needs the Admin or Scientist role.");
        }
        var folder = Path.Combine(Path.GetTempPath(), "transferhub-weights", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var upload = Path.Combine(folder, "upload");
            await using (var file = File.Create(upload))
            {
                await content.CopyToAsync(file, ct);
            }
            var stored = Path.Combine(folder, "weights.safetensors");
            WeightsInfo info;
            try
            {
                info = await Task.Run(() => engine.ImportWeights(upload, architecture, numClasses, stored, onnx), ct);
            }
            catch (InvalidWeightsException e)
            {
                throw ValidationFailedException.For("file", e.Message);
            }
            var weights = new PretrainedWeights
            {
                Name = string.IsNullOrWhiteSpace(name) ? Path.GetFileNameWithoutExtension(fileName) : name.Trim()[..Math.Min(200, name.Trim().Length)],
                Architecture = info.Architecture, NumClasses = info.NumClasses, Tensors = info.Tensors, Parameters = info.Parameters,
                Sha256 = "", OriginalFormat = Path.GetExtension(fileName).ToLowerInvariant() switch { ".dat" => "dat", ".zip" => "hf-zip", ".onnx" => "onnx", _ => "safetensors" },
                Check = info.Check,
                ImportedById = caller.UserId(), ImportedAt = clock.GetUtcNow(),
            };
            await using (var file = File.OpenRead(stored))
            {
                var put = await artifacts.PutAsync(PretrainedWeights.ArtifactKey(weights.Id), file, ct);
                weights.Sha256 = put.Sha256;
                weights.SizeBytes = put.Size;
            }
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            db.PretrainedWeights.Add(weights);
            await db.SaveChangesAsync(ct);
            return ToDto(weights, caller.Identity?.Name ?? "");
        }
        finally
        {
            engine.DeleteFolder(folder);
        }
    }

    public async Task<IReadOnlyList<PretrainedWeightsDto>> ListAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.PretrainedWeights.AsNoTracking()
            .Select(w => new { Weights = w, By = db.Users.Where(u => u.Id == w.ImportedById).Select(u => u.Email).FirstOrDefault() })
            .ToListAsync(ct);
        return [.. rows.OrderByDescending(r => r.Weights.ImportedAt).Select(r => ToDto(r.Weights, r.By ?? ""))];
    }

    public async Task<PretrainedWeights> GetAsync(Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.PretrainedWeights.AsNoTracking().SingleOrDefaultAsync(w => w.Id == id, ct)
            ?? throw new NotFoundException($"Weights {id} do not exist.");
    }

    private static PretrainedWeightsDto ToDto(PretrainedWeights w, string by) =>
        new(w.Id, w.Name, w.Architecture, w.NumClasses, w.Tensors, w.Parameters, w.Sha256, w.SizeBytes, w.OriginalFormat, by, w.ImportedAt, w.Check);
}
