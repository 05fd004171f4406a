using System.Security.Claims;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Shared.Common;
using TransferHub.Shared.Datasets;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Identity;
using TransferHub.Web.Features.Labeling;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Datasets.Import;

/// <summary>A file the caller uploads: its name and a way to read it once.</summary>
public sealed record UploadFile(string FileName, Func<CancellationToken, Task<Stream>> OpenAsync);

/// <summary>
/// Imports run in the background: the upload is staged to disk, a job row is created, and a worker turns
/// each file into items, reporting progress. Items are keyed by content hash, so importing the same
/// files again adds only what is new (idempotent and resumable); a rejected file leaves nothing behind.
/// </summary>
public sealed partial class ImportService(
    IDbContextFactory<AppDbContext> dbFactory, DatasetService datasets, IArtifactStore artifacts, DatasetEvents events,
    Webhooks.WebhookOutbox webhooks, TimeProvider clock, StagingArea staging, ILogger<ImportService> logger)
{
    private const int MaxMessages = 200;
    private const int BatchSize = 100;
    private readonly Channel<Guid> _queue = Channel.CreateUnbounded<Guid>(new() { SingleReader = true });

    public ChannelReader<Guid> Queue => _queue.Reader;

    /// <summary>Refuses a caller who may not add data — before the route reads (up to gigabytes of) the upload.</summary>
    public async Task RequireCanImportAsync(ClaimsPrincipal caller, Guid datasetId, CancellationToken ct) =>
        await datasets.RequireAsync(caller, datasetId, a => a.CanEditData, ct);

    public async Task<ImportDto> StartAsync(ClaimsPrincipal caller, Guid datasetId, IReadOnlyList<UploadFile> files, TextColumns columns, CancellationToken ct,
        ImportedLabels labelsAs = ImportedLabels.GroundTruth)
    {
        var (dataset, _) = await datasets.RequireAsync(caller, datasetId, a => a.CanEditData, ct);
        if (files.Count == 0)
        {
            throw ValidationFailedException.For("files", "Choose at least one file.");
        }
        var job = new ImportJob
        {
            DatasetId = datasetId, CreatedById = caller.UserId(), Status = ImportStatus.Running, CreatedAt = clock.GetUtcNow(),
            TextColumn = columns.Text, LabelColumn = columns.Label, LabelsAs = labelsAs,
        };
        var folder = staging.FolderFor(job.Id);
        try
        {
            foreach (var (file, index) in files.Select((f, i) => (f, i)))
            {
                var staged = Path.Combine(folder, $"{index:D5}-{StagedName(file.FileName)}");
                await using (var source = await file.OpenAsync(ct))
                await using (var target = File.Create(staged))
                {
                    await source.CopyToAsync(target, ct);
                }
                job.Total += ImportCandidates.Count(staged, file.FileName, dataset.Kind == DatasetKind.Text);
            }
        }
        catch
        {
            staging.Delete(job.Id);
            throw;
        }
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            db.ImportJobs.Add(job);
            await db.SaveChangesAsync(ct);
        }
        await _queue.Writer.WriteAsync(job.Id, ct);
        return job.ToDto();
    }

    public async Task<ImportDto> GetAsync(ClaimsPrincipal caller, Guid importId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await db.ImportJobs.AsNoTracking().SingleOrDefaultAsync(j => j.Id == importId, ct)
            ?? throw new NotFoundException($"Import {importId} does not exist.");
        await datasets.RequireAsync(caller, job.DatasetId, a => a.CanRead, ct);
        return job.ToDto();
    }

    public async Task<IReadOnlyList<ImportDto>> ListAsync(ClaimsPrincipal caller, Guid datasetId, CancellationToken ct)
    {
        await datasets.RequireAsync(caller, datasetId, a => a.CanRead, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var jobs = await db.ImportJobs.AsNoTracking().Where(j => j.DatasetId == datasetId).ToListAsync(ct);
        return [.. jobs.OrderByDescending(j => j.CreatedAt).Take(20).Select(j => j.ToDto())];
    }

    /// <summary>Puts imports that were running when the app stopped back in the queue; their staged files are still on disk.</summary>
    public async Task RequeueUnfinishedAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var running = await db.ImportJobs.Where(j => j.Status == ImportStatus.Running).Select(j => j.Id).ToListAsync(ct);
        foreach (var id in running)
        {
            await _queue.Writer.WriteAsync(id, ct);
        }
    }

    /// <summary>Runs one import to the end. Called by <see cref="ImportWorker"/>.</summary>
    public async Task ProcessAsync(Guid importId, CancellationToken ct)
    {
        try
        {
            await ProcessCoreAsync(importId, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Kept for the retry after a restart (the job is still running in the database) — unless the import went with its
            // dataset, deleted meanwhile: then nothing will ever read the folder (it once stayed behind for good).
            await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            if (!await db.ImportJobs.AnyAsync(j => j.Id == importId, CancellationToken.None))
            {
                staging.Delete(importId);
            }
            throw;
        }
        staging.Delete(importId); // on shutdown (cancelled) it stays, for the restart to resume from
    }

    private async Task ProcessCoreAsync(Guid importId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await db.ImportJobs.SingleOrDefaultAsync(j => j.Id == importId, ct);
        if (job is null)
        {
            return; // its dataset was deleted before it ran
        }
        var dataset = await db.Datasets.Include(d => d.Labels).SingleOrDefaultAsync(d => d.Id == job.DatasetId, ct);
        var messages = new List<string>();
        if (dataset is null)
        {
            return;
        }
        try
        {
            var known = (await db.Items.Where(i => i.DatasetId == dataset.Id).Select(i => i.ContentHash).ToListAsync(ct)).ToHashSet();
            var sequence = await db.Items.Where(i => i.DatasetId == dataset.Id).MaxAsync(i => (long?)i.Sequence, ct) ?? 0;
            // A restarted import counts again from the start; content hashes make the repeat harmless.
            (job.Processed, job.Added, job.Duplicates, job.Rejected) = (0, 0, 0, 0);
            foreach (var path in staging.Files(importId))
            {
                var fileName = Path.GetFileName(path)[6..];
                var candidates = dataset.Kind == DatasetKind.Text
                    ? ImportCandidates.Texts(path, fileName, new TextColumns(job.TextColumn, job.LabelColumn))
                    : ImportCandidates.Images(path, fileName);
                foreach (var candidate in candidates)
                {
                    ct.ThrowIfCancellationRequested();
                    job.Processed++;
                    try
                    {
                        RefuseUnusableLabels(dataset, candidate); // before anything is stored: a refused entry leaves no blob behind
                        var item = await ToItemAsync(dataset, candidate, job, known, messages, ct);
                        if (item is null)
                        {
                            job.Duplicates++;
                            continue;
                        }
                        AddImportedLabels(db, dataset, item, candidate.Labels, job);
                        item.Sequence = ++sequence;
                        db.Items.Add(item);
                        known.Add(item.ContentHash);
                        job.Added++;
                    }
                    catch (RejectedFileException e)
                    {
                        job.Rejected++;
                        Note(messages, e.Message);
                    }
                    if (job.Processed % BatchSize == 0)
                    {
                        await SaveProgressAsync(db, job, messages, ct);
                    }
                }
            }
            job.Status = ImportStatus.Completed;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogImportFailed(logger, e, importId);
            job.Status = ImportStatus.Failed;
            Note(messages, "The import stopped on an unexpected error; items added before it are kept. Importing the same files again continues where it stopped.");
        }
        job.CompletedAt = clock.GetUtcNow();
        await SaveProgressAsync(db, job, messages, ct);
        await db.Database.RefreshAfterImportAsync(ct);
        await events.PublishAsync(new LabelsChanged(dataset.Id, job.CreatedById));
        await webhooks.PublishAsync(dataset.ProjectId, Shared.Webhooks.WebhookEvents.ImportFinished,
            $"{dataset.Name}: import {job.Status.ToString().ToLowerInvariant()}, {job.Added} added, {job.Duplicates} duplicates, {job.Rejected} rejected.",
            $"/datasets/{dataset.Id}", new Dictionary<string, object?>
            {
                ["datasetId"] = dataset.Id, ["dataset"] = dataset.Name, ["importId"] = job.Id, ["status"] = job.Status.ToString(),
                ["added"] = job.Added, ["duplicates"] = job.Duplicates, ["rejected"] = job.Rejected,
            }, ct);
    }

    private async Task<Item?> ToItemAsync(Dataset dataset, Candidate candidate, ImportJob job, HashSet<string> known, List<string> messages, CancellationToken ct)
    {
        if (candidate.Error is not null)
        {
            throw new RejectedFileException(candidate.Error);
        }
        var now = clock.GetUtcNow();
        if (dataset.Kind == DatasetKind.Text)
        {
            var text = candidate.Text!.Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
            if (text.Length > DatasetRules.MaxTextLength)
            {
                throw new RejectedFileException($"{candidate.Source}: {text.Length} characters is over the limit of {DatasetRules.MaxTextLength}.");
            }
            var textHash = Hashing.Sha256Hex(text);
            return known.Contains(textHash) ? null : NewItem(dataset, textHash, job, now, item => item.Text = text);
        }
        var bytes = candidate.Bytes!;
        var hash = Hashing.Sha256Hex(bytes);
        if (known.Contains(hash))
        {
            return null;
        }
        var image = ImageInspector.Inspect(candidate.Source, bytes);
        if (image.Warning is not null)
        {
            Note(messages, image.Warning);
        }
        var item = NewItem(dataset, hash, job, now, i => i.FileName = Clip(Path.GetFileName(candidate.Source.Split(':')[^1]), MaxFileName));
        await ImageItems.StoreAsync(artifacts, item, hash, bytes, image, ct);
        return item;
    }

    private const int MaxFileName = 260, MaxStagedName = 120;

    /// <summary>
    /// The upload's own name, made safe to stage: no folders, no NUL, and short enough for any file system (a
    /// 300-character name once failed the import with a 500); the extension, which decides the format, is kept.
    /// </summary>
    internal static string StagedName(string fileName)
    {
        var name = Path.GetFileName(fileName.Replace('\\', '/')).Replace('\0', '_');
        if (name.Length == 0)
        {
            return "upload";
        }
        var extension = Path.GetExtension(name);
        return name.Length <= MaxStagedName ? name
            : extension.Length is > 0 and <= 16 ? name[..(MaxStagedName - extension.Length)] + extension
            : name[..MaxStagedName];
    }

    private static string Clip(string value, int length) => value.Length <= length ? value : value[..length];

    private static Item NewItem(Dataset dataset, string hash, ImportJob job, DateTimeOffset now, Action<Item> fill)
    {
        var item = new Item
        {
            DatasetId = dataset.Id, ContentHash = hash, CreatedAt = now, Origin = $"import:{job.Id:N}",
            RequiredAnnotations = LabelingQueue.IsOverlapItem(hash, dataset.OverlapPercent) ? 2 : 1,
        };
        fill(item);
        return item;
    }

    /// <summary>Refuses an entry whose labels cannot be taken: several on a single-label dataset, or a new name that cannot be a label.</summary>
    private static void RefuseUnusableLabels(Dataset dataset, Candidate candidate)
    {
        var names = candidate.Labels.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (dataset.Task == LabelTask.SingleLabel && names.Count > 1)
        {
            throw new RejectedFileException($"{candidate.Source}: {names.Count} labels on a single-label dataset.");
        }
        var unknown = names.Where(n => !dataset.Labels.Any(l => string.Equals(l.Name, n, StringComparison.OrdinalIgnoreCase))).ToList();
        var bad = unknown.FirstOrDefault(n => n.Length > DatasetRules.MaxLabelLength || n.Contains(','));
        if (bad is not null || dataset.Labels.Count + unknown.Count > DatasetRules.MaxLabels)
        {
            throw new RejectedFileException($"'{bad ?? unknown[^1]}' cannot become a label (too long, a comma, or too many labels).");
        }
    }

    /// <summary>
    /// Labels that came with the data (ImageFolder folders, a label column); unknown names become new labels. They are no
    /// annotator's opinion (the importer once counted as one: in agreement, and its items sent back for a second opinion):
    /// ground truth settles the item — no one is asked to label it; a pre-label is a suggestion on the labeling page.
    /// </summary>
    private static void AddImportedLabels(AppDbContext db, Dataset dataset, Item item, IReadOnlyList<string> names, ImportJob job)
    {
        if (names.Count == 0)
        {
            return;
        }
        var ids = new List<Guid>();
        foreach (var name in names.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var label = dataset.Labels.FirstOrDefault(l => string.Equals(l.Name, name, StringComparison.OrdinalIgnoreCase));
            if (label is null)
            {
                label = new LabelClass
                {
                    DatasetId = dataset.Id, Name = name, Order = dataset.Labels.Count,
                    Color = DatasetRules.Palette[dataset.Labels.Count % DatasetRules.Palette.Length],
                    // A key like any label made by hand: labels that arrived with an import were never labelable by keyboard.
                    Shortcut = DatasetRules.DefaultShortcut(name, dataset.Labels),
                };
                dataset.Labels.Add(label);
                db.LabelClasses.Add(label);
            }
            ids.Add(label.Id);
        }
        if (job.LabelsAs == ImportedLabels.PreLabel)
        {
            // A suggestion like a model's, from no run (RunId empty), certain as far as the file says; the first label of a multi-label item.
            db.ItemScores.Add(new Labeling.ItemScore { ItemId = item.Id, DatasetId = dataset.Id, RunId = Guid.Empty, LabelId = ids[0], Confidence = 1, ScoredAt = item.CreatedAt });
            return;
        }
        var labelIds = LabelIds.Format(ids);
        db.LabelChanges.Add(new LabelChange { ItemId = item.Id, UserId = job.CreatedById, FromLabelIds = "", ToLabelIds = labelIds, At = item.CreatedAt, Kind = Labeling.LabelingService.ImportKind });
        item.RequiredAnnotations = 0; // settled: the queue asks no one
        item.FinalLabelIds = labelIds;
    }

    private async Task SaveProgressAsync(AppDbContext db, ImportJob job, List<string> messages, CancellationToken ct)
    {
        job.Messages = string.Join('\n', messages);
        await db.SaveChangesAsync(ct); // the write gate applies itself (WriteGateInterceptor)
        // Saved rows are done with: untracking them keeps a 100 000-item import as fast at the end as at the start.
        foreach (var entry in db.ChangeTracker.Entries().Where(e => e.Entity is Item or Annotation or LabelChange or Labeling.ItemScore).ToList())
        {
            entry.State = EntityState.Detached;
        }
        await events.PublishAsync(new ImportProgressed(job.DatasetId, job.ToDto()));
    }

    private static void Note(List<string> messages, string message)
    {
        if (messages.Count < MaxMessages)
        {
            messages.Add(message.Replace('\n', ' '));
        }
        else if (messages.Count == MaxMessages)
        {
            messages.Add("… more messages were left out.");
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Import {ImportId} failed")]
    private static partial void LogImportFailed(ILogger logger, Exception exception, Guid importId);
}
