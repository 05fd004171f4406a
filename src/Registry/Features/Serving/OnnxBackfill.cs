using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TransferHub.Registry.Features.Access;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Registry.Features.Models;
using TransferHub.Shared.Registry;
using TransferHub.Shared.Training;

namespace TransferHub.Registry.Features.Serving;

/// <summary>
/// Stores the ONNX export of versions registered before exports were stored, once, in the background of a node that
/// starts with the training engine — so serving-only nodes can serve them too. Only the export columns are written
/// (the version itself stays as registered), each under a key of its own hash, and only where none is recorded yet,
/// so nodes starting together cannot overwrite each other's file.
/// </summary>
public sealed partial class OnnxBackfill(IRegistryDatabase database, IArtifactStore artifacts, IModelLoader loader, ITrainingEngine engine,
    ILogger<OnnxBackfill> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await BackfillAsync(stoppingToken);
        }
        catch (Exception e) when (NoLibTorch.Caused(e))
        {
            LogNoEngine(logger); // a serving-only node: a full node stores them
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogBackfillFailed(logger, e); // serving falls back to exporting at load; the next start tries again
        }
    }

    /// <summary>Exports and stores every version without a stored export whose architecture has a writer; returns how many.</summary>
    public async Task<int> BackfillAsync(CancellationToken ct)
    {
        List<ModelVersion> missing;
        await using (var db = await database.OpenAsync(ct))
        {
            missing = await db.ModelVersions().AsNoTracking().Where(v => v.OnnxArtifactKey == null).OrderBy(v => v.RegisteredAt).ToListAsync(ct);
        }
        var stored = 0;
        foreach (var version in missing.Where(v => engine.ExportsOnnx(v.Architecture)))
        {
            if (await StoreAsync(version, ct))
            {
                stored++;
            }
        }
        return stored;
    }

    private async Task<bool> StoreAsync(ModelVersion version, CancellationToken ct)
    {
        var (weights, actual) = await artifacts.ReadHashedAsync(version.ArtifactKey, ct);
        if (!VerifiedReads.SameSha256(actual, version.Sha256))
        {
            LogSkipped(logger, version.Id, "its weights do not match the SHA-256 recorded at registration");
            return false;
        }
        var imageSize = JsonSerializer.Deserialize<InputSpec>(version.InputJson, RegistryRules.Json)?.ImageSize ?? 32;
        byte[] onnx;
        string check;
        try
        {
            (onnx, check) = await Task.Run(() => loader.ToOnnx(weights, imageSize), ct);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            LogSkipped(logger, version.Id, e.Message);
            return false;
        }
        var sha = Convert.ToHexStringLower(SHA256.HashData(onnx));
        var key = $"models/{version.ModelId:N}/v{version.Number}/model-{sha[..12]}.onnx";
        using (var content = new MemoryStream(onnx, writable: false))
        {
            await artifacts.PutAsync(key, content, ct);
        }
        await using var db = await database.OpenAsync(ct);
        var updated = await db.ModelVersions().Where(v => v.Id == version.Id && v.OnnxArtifactKey == null).ExecuteUpdateAsync(s => s
            .SetProperty(v => v.OnnxArtifactKey, key).SetProperty(v => v.OnnxSha256, sha).SetProperty(v => v.OnnxCheck, check), ct);
        LogStored(logger, version.Id, updated == 1);
        return updated == 1;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storing ONNX exports of earlier versions failed")]
    private static partial void LogBackfillFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "No libtorch on this node: earlier versions' ONNX exports are left to a node with the training engine")]
    private static partial void LogNoEngine(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model version {VersionId} keeps no ONNX export: {Reason}")]
    private static partial void LogSkipped(ILogger logger, Guid versionId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stored the ONNX export of model version {VersionId} (recorded: {Recorded})")]
    private static partial void LogStored(ILogger logger, Guid versionId, bool recorded);
}
