using TransferHub.Registry.Features.Registration;
using TransferHub.Registry.Features.Stages;
using TransferHub.Registry.Features.Serving;
using TransferHub.Registry.Features.Models;
using TransferHub.Registry.Features.Access;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Shared.Registry;
using TransferHub.Web.Data;

namespace TransferHub.Web.Features.Registry;

/// <summary>Registry routes: models, versions, lineage, download, stages, approvals, audit. <c>{model}</c> is an id or a name.</summary>
public static class RegistryEndpoints
{
    public static RouteGroupBuilder MapRegistryEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/projects/{projectId:guid}/models", async (Guid projectId, RegisterModelRequest request, ClaimsPrincipal user, RegistryService registry, CancellationToken ct) =>
        {
            var model = await registry.CreateAsync(user, projectId, request, ct);
            return Results.Created($"/api/models/{model.Id}", model);
        }).WithTags("Registry").WithSummary("Registers a finished run as version 1 of a new model of the project (name unique in the project).");

        var models = api.MapGroup("/models").WithTags("Registry");
        models.MapGet("/", (Guid? projectId, ClaimsPrincipal user, RegistryService registry, CancellationToken ct) => registry.ListAsync(user, projectId, ct))
            .WithSummary("Models of the projects the caller belongs to (or of one project).");
        models.MapGet("/{model}", (string model, ClaimsPrincipal user, RegistryService registry, CancellationToken ct) => registry.GetAsync(user, model, ct))
            .WithSummary("A model with every version, newest first.");
        models.MapPut("/{model}", (string model, UpdateModelRequest request, ClaimsPrincipal user, RegistryService registry, CancellationToken ct) =>
            registry.UpdateAsync(user, model, request, ct)).WithSummary("Description, tags, thresholds, raw-input keeping and drift settings.");
        models.MapPost("/{model}/versions", async (string model, RegisterVersionRequest request, ClaimsPrincipal user, RegistryService registry, CancellationToken ct) =>
        {
            var version = await registry.RegisterVersionAsync(user, model, request, ct);
            return Results.Created($"/api/models/{version.ModelId}/versions/{version.Version}", version);
        }).WithSummary("Registers a finished run of the model's project as its next version.");
        models.MapGet("/{model}/versions/{version}", (string model, string version, ClaimsPrincipal user, RegistryService registry, CancellationToken ct) =>
            registry.GetVersionAsync(user, model, version, ct)).WithSummary("One version: a number, 'latest' or 'production'.");
        models.MapGet("/{model}/versions/{version}/lineage", (string model, string version, ClaimsPrincipal user, RegistryService registry, CancellationToken ct) =>
            registry.LineageAsync(user, model, version, ct)).WithSummary("The transfer chain behind a version as a graph: source versions or weights, runs, dataset versions.");
        models.MapGet("/{model}/versions/{version}/card", async (string model, string version, ClaimsPrincipal user, ModelCards cards, CancellationToken ct) =>
            Results.Text(await cards.WriteAsync(user, model, version, ct), "text/markdown; charset=utf-8"))
            .WithSummary("The version's generated model card (markdown): data, metrics with intervals, verdict, lineage, intended use, limitations.");
        models.MapGet("/{model}/versions/{version}/examples", (string model, string version, int? take, ClaimsPrincipal user, ModelExampleService examples, CancellationToken ct) =>
            examples.ListAsync(user, model, version, take ?? 6, ct)).WithSummary("Held-out items of the version's own dataset version (test split) to try it on, with their labels.");
        models.MapPost("/{model}/versions/{version}/examples/{itemId:guid}/predict", (string model, string version, Guid itemId, ClaimsPrincipal user,
                ModelExampleService examples, CancellationToken ct) =>
            examples.PredictAsync(user, model, version, itemId, ct)).WithSummary("The version's prediction for one of its examples (not logged for drift).");
        models.MapGet("/{model}/versions/{version}/download", DownloadAsync)
            .WithSummary("The version's weights, verified against the registered SHA-256: safetensors with torchvision names (default; PyTorch's safetensors.torch.load_file reads them), format=torchsharp (Module.load), or format=onnx (opset 17, dynamic batch; image models; checked against ONNX Runtime, the X-Onnx-Check header says by how much).");
        models.MapPost("/{model}/versions/{version}/transitions", (string model, string version, TransitionRequest request, ClaimsPrincipal user, StageService stages, CancellationToken ct) =>
            stages.TransitionAsync(user, model, version, request, ct))
            .WithSummary("Moves a version to None, Staging or Archived; Production opens an approval request with its policy checks.");
        models.MapGet("/{model}/approvals", (string model, ClaimsPrincipal user, StageService stages, CancellationToken ct) => stages.ListApprovalsAsync(user, model, ct))
            .WithSummary("The model's approval requests with their evidence, newest first.");
        models.MapPost("/{model}/rollback", (string model, DecisionRequest? request, ClaimsPrincipal user, StageService stages, CancellationToken ct) =>
            stages.RollbackAsync(user, model, request ?? new DecisionRequest(null), ct))
            .WithSummary("Puts the latest former production version back; the current one is archived (Approvers and Owners).");
        models.MapGet("/{model}/audit", (string model, ClaimsPrincipal user, RegistryService registry, CancellationToken ct) => registry.AuditAsync(user, model, ct))
            .WithSummary("The model's append-only audit log, oldest first.");

        var approvals = api.MapGroup("/approvals/{approvalId:guid}").WithTags("Registry");
        approvals.MapPost("/approve", (Guid approvalId, DecisionRequest? request, ClaimsPrincipal user, StageService stages, CancellationToken ct) =>
            stages.DecideAsync(user, approvalId, approve: true, request ?? new DecisionRequest(null), ct))
            .WithSummary("Approves: policy checks are evaluated again and must pass; the version replaces the current production one.");
        approvals.MapPost("/reject", (Guid approvalId, DecisionRequest? request, ClaimsPrincipal user, StageService stages, CancellationToken ct) =>
            stages.DecideAsync(user, approvalId, approve: false, request ?? new DecisionRequest(null), ct));
        return api.MapServingEndpoints().MapDriftEndpoints();
    }

    private static async Task<IResult> DownloadAsync(string model, string version, string? format, ClaimsPrincipal user, ModelAccess access,
        IDbContextFactory<AppDbContext> dbFactory, IArtifactStore artifacts, IModelLoader loader, HttpContext httpContext, CancellationToken ct)
    {
        var (found, _) = await access.RequireAsync(user, model, a => a.CanRead, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await VersionViews.FindAsync(db, found.Id, version, ct);
        format = format?.ToLowerInvariant();
        if (format is not (null or "" or "safetensors" or "torchsharp" or "onnx"))
        {
            throw ValidationFailedException.For("format", "Formats: safetensors, torchsharp, onnx.");
        }
        var name = $"{found.Name}-v{row.Number}";
        if (format == "onnx" && row is { OnnxArtifactKey: { } onnxKey, OnnxSha256: { } onnxSha })
        {
            // The export stored (and checked) at registration: no libtorch needed to hand it out.
            var stored = await ReadVerifiedAsync(artifacts, onnxKey, onnxSha, "ONNX export", ct);
            httpContext.Response.Headers["X-Onnx-Check"] = row.OnnxCheck ?? "checked at registration";
            return Results.File(stored, "application/octet-stream", $"{name}.onnx");
        }
        var bytes = await ReadVerifiedAsync(artifacts, row.ArtifactKey, row.Sha256, "weights", ct);
        return format switch
        {
            "torchsharp" => Results.File(await Task.Run(() => loader.ToTorchSharp(bytes), ct), "application/octet-stream", $"{name}.dat"),
            "onnx" => await OnnxAsync(),
            _ => Results.File(bytes, "application/octet-stream", $"{name}.safetensors"),
        };

        // A version registered before exports were stored, or whose export failed its check then: exported now.
        async Task<IResult> OnnxAsync()
        {
            var spec = System.Text.Json.JsonSerializer.Deserialize<TransferHub.Shared.Registry.InputSpec>(row.InputJson, RegistryRules.Json)!;
            try
            {
                var (onnx, check) = await Task.Run(() => loader.ToOnnx(bytes, spec.ImageSize ?? 32), ct);
                httpContext.Response.Headers["X-Onnx-Check"] = check;
                return Results.File(onnx, "application/octet-stream", $"{name}.onnx");
            }
            catch (NotSupportedException e)
            {
                throw ValidationFailedException.For("format", e.Message);
            }
        }
    }

    private static async Task<byte[]> ReadVerifiedAsync(IArtifactStore artifacts, string key, string sha256, string what, CancellationToken ct)
    {
        var (bytes, actual) = await artifacts.ReadHashedAsync(key, ct);
        return VerifiedReads.SameSha256(actual, sha256)
            ? bytes
            : throw new ArtifactIntegrityException($"The stored {what} do not match the SHA-256 recorded at registration; refusing to serve them.");
    }
}
