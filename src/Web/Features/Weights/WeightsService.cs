using System.IO.Compression;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Shared.Identity;
using TransferHub.Shared.Weights;
using TransferHub.Shared.Training;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Identity;
using TransferHub.Web.Features.Weights.Hub;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Weights;

/// <summary>
/// Imported pretrained weights: a file is loaded into its architecture before it is accepted (a file that
/// does not fit is refused with every mismatched shape), converted to safetensors and stored by hash.
/// Anyone signed in can list them and use them as sources; Admins and Scientists import.
/// </summary>
public sealed class WeightsService(IDbContextFactory<AppDbContext> dbFactory, IArtifactStore artifacts, ITrainingEngine engine, Hub.HubClient hub, TimeProvider clock)
{
    public async Task<PretrainedWeightsDto> ImportAsync(ClaimsPrincipal caller, Stream content, string fileName, string? name, string? architecture,
        int? numClasses, CancellationToken ct, OnnxImportOptions? onnx = null)
    {
        RequireImporter(caller);
        var folder = WorkFolder();
        try
        {
            var upload = Path.Combine(folder, "upload");
            await using (var file = File.Create(upload))
            {
                await content.CopyToAsync(file, ct);
            }
            return await StoreAsync(caller, upload, FormatOf(fileName), string.IsNullOrWhiteSpace(name) ? Path.GetFileNameWithoutExtension(fileName) : name,
                architecture, numClasses, onnx, folder, ct);
        }
        finally
        {
            engine.DeleteFolder(folder);
        }
    }

    /// <summary>Downloads a Hub repository's weights (through the shared, SHA-256-checked cache) and imports them like an upload.</summary>
    public async Task<PretrainedWeightsDto> ImportFromHubAsync(ClaimsPrincipal caller, HubImportRequest request, IProgress<double>? progress, CancellationToken ct)
    {
        RequireImporter(caller);
        var repo = request.Repo?.Trim() ?? "";
        var revision = string.IsNullOrWhiteSpace(request.Revision) ? "main" : request.Revision.Trim();
        if (!HubNames.IsRepo(repo))
        {
            throw ValidationFailedException.For("repo", "Name the repository as owner/name (letters, digits, '-', '_', '.').");
        }
        if (!HubNames.IsRevision(revision) || request.File is { } f && !HubNames.IsFile(f))
        {
            throw ValidationFailedException.For("file", "A revision is a branch, tag or commit; a file is a path inside the repository (no '..').");
        }
        var folder = WorkFolder();
        try
        {
            IReadOnlyList<HubFile> files;
            try
            {
                files = await hub.ListAsync(repo, revision, ct);
                var wanted = HubNames.Pick(files, request.File);
                var architecture = string.IsNullOrWhiteSpace(request.Architecture) ? HubCatalog.ArchitectureOf(repo) : request.Architecture;
                if (architecture is null && wanted.Count == 1 && files.FirstOrDefault(f => f.Path == "config.json") is { } config)
                {
                    // A Transformers config names the model family: one we have no architecture for is refused before the big download.
                    var type = HubNames.ModelType(await File.ReadAllTextAsync(await hub.DownloadAsync(repo, revision, config, null, ct), ct));
                    if (type is not null && !HubNames.KnownModelTypes.Contains(type))
                    {
                        throw new HubException($"config.json declares model_type '{type}', which no architecture here implements (Transformers families: {string.Join(", ", HubNames.KnownModelTypes)}; images: safetensors with torchvision/timm ResNet names, or ONNX).", System.Net.HttpStatusCode.BadRequest);
                    }
                }
                string path, format;
                if (wanted.Count == 1)
                {
                    path = await hub.DownloadAsync(repo, revision, wanted[0], progress, ct);
                    format = FormatOf(wanted[0].Path);
                }
                else
                {
                    // A BERT folder: the files the text-bert importer reads, zipped as an upload would be.
                    path = Path.Combine(folder, "hub.zip");
                    var total = wanted.Sum(w => w.Size);
                    long done = 0;
                    using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
                    foreach (var file in wanted)
                    {
                        var start = done;
                        var blob = await hub.DownloadAsync(repo, revision, file, progress is null ? null : new Progress<double>(p => progress.Report((start + p * file.Size) / Math.Max(1, total))), ct);
                        zip.CreateEntryFromFile(blob, Path.GetFileName(file.Path));
                        done += file.Size;
                    }
                    format = "hf-zip";
                }
                return await StoreAsync(caller, path, $"hub:{format}", string.IsNullOrWhiteSpace(request.Name) ? $"{repo}@{revision}" : request.Name,
                    architecture, null, null, folder, ct);
            }
            catch (HubException e) when (e.Status is null || (int)e.Status >= 500)
            {
                throw new UpstreamFailedException(e.Message);
            }
            catch (HubException e)
            {
                throw ValidationFailedException.For("repo", e.Message);
            }
        }
        finally
        {
            engine.DeleteFolder(folder);
        }
    }

    private async Task<PretrainedWeightsDto> StoreAsync(ClaimsPrincipal caller, string path, string format, string name, string? architecture,
        int? numClasses, OnnxImportOptions? onnx, string folder, CancellationToken ct)
    {
        var stored = Path.Combine(folder, "weights.safetensors");
        WeightsInfo info;
        try
        {
            info = await Task.Run(() => engine.ImportWeights(path, architecture, numClasses, stored, onnx), ct);
        }
        catch (InvalidWeightsException e)
        {
            throw ValidationFailedException.For("file", e.Message);
        }
        var weights = new PretrainedWeights
        {
            Name = name.Trim()[..Math.Min(200, name.Trim().Length)],
            Architecture = info.Architecture, NumClasses = info.NumClasses, Tensors = info.Tensors, Parameters = info.Parameters,
            Sha256 = "", OriginalFormat = format, Check = info.Check,
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

    /// <summary>Admins and Scientists import weights; the upload route asks before it reads the file.</summary>
    public static void RequireImporter(ClaimsPrincipal caller)
    {
        if (!caller.IsInRole(AppRoles.Admin) && !caller.IsInRole(AppRoles.Scientist))
        {
            throw new ForbiddenException("Importing weights needs the Admin or Scientist role.");
        }
    }

    private static string WorkFolder() =>
        Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "transferhub-weights", Guid.NewGuid().ToString("N"))).FullName;

    private static string FormatOf(string fileName) => Path.GetExtension(fileName).ToLowerInvariant() switch
    {
        ".dat" => "dat", ".zip" => "hf-zip", ".onnx" => "onnx", _ => "safetensors",
    };

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
