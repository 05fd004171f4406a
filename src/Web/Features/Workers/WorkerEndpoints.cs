using Microsoft.AspNetCore.SignalR;
using System.Security.Claims;
using Microsoft.AspNetCore.Mvc;
using TransferHub.Training.Worker;
using TransferHub.Web.Features.Identity;
using TransferHub.Web.Features.Projects;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Workers;

/// <summary>The worker list for people, and the file routes of remote workers (worker tokens only).</summary>
public static class WorkerEndpoints
{
    /// <summary>Checkpoints and models of the largest architectures (ResNet-50 with Adam state) stay below this.</summary>
    private const long MaxUpload = 2L * 1024 * 1024 * 1024;

    public static IServiceCollection AddWorkers(this IServiceCollection services)
    {
        services.AddSingleton<WorkerControl>();
        services.AddOptions<EmbeddedWorkerOptions>().BindConfiguration(EmbeddedWorkerOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<EmbeddedWorkerSecret>();
        services.AddSingleton<EmbeddedWorkerProcess>();
        services.AddHostedService(sp => sp.GetRequiredService<EmbeddedWorkerProcess>());
        services.AddHostedService<WorkAvailableNotifier>();
        services.AddHostedService<InProcessWorker>();
        return services;
    }

    /// <summary>
    /// A finished run's result carries every test item's prediction: far above SignalR's 32 KB default. Set through
    /// AddHubOptions — a plain Configure of HubOptions&lt;WorkerHub&gt; did not take, and remote workers lost every run
    /// with a few hundred test items at its very end ("maximum message size of 32768B was exceeded").
    /// </summary>
    public static ISignalRServerBuilder AddWorkerHubOptions(this ISignalRServerBuilder signalR) =>
        signalR.AddHubOptions<WorkerHub>(o => o.MaximumReceiveMessageSize = MaxHubMessage);

    public const long MaxHubMessage = 64L * 1024 * 1024;

    public static RouteGroupBuilder MapWorkerEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/workers", async (ClaimsPrincipal user, WorkerControl control, ProjectService projects, CancellationToken ct) =>
        {
            var visible = (await projects.ListAsync(user, ct)).Select(p => p.Id).ToHashSet();
            return await control.ListAsync(visible.Contains, ct);
        }).WithTags("Workers").WithSummary("Training workers: device, current run (for projects you can read), last heartbeat, online.");
        api.MapGet("/workers/embedded", (EmbeddedWorkerProcess embedded) => embedded.Status).WithTags("Workers")
            .WithSummary("The server's own worker: mode (Process, InProcess, Off), state (running, restarting), process id, restarts, last exit.");

        api.MapGet("/worker/me", (ClaimsPrincipal worker) => new { name = worker.Identity?.Name })
            .RequireAuthorization(AuthorizationPolicies.Worker).WithTags("Workers").WithSummary("Who a worker token speaks for (worker tokens only).");

        var runs = api.MapGroup("/worker/runs/{runId:guid}").WithTags("Workers").RequireAuthorization(AuthorizationPolicies.Worker)
            .AddEndpointFilter(async (context, next) =>
            {
                // The header names the worker; only the credential it registered with may speak for it.
                var http = context.HttpContext;
                var principal = http.User.FindFirstValue(ClaimTypes.NameIdentifier);
                var control = http.RequestServices.GetRequiredService<WorkerControl>();
                return await control.SpeaksForAsync(WorkerId(http), principal, http.RequestAborted)
                    ? await next(context)
                    : Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
                        detail: "This worker token does not speak for that worker: register over the worker hub first, with your own --name.");
            });
        runs.MapGet("/dataset", async (Guid runId, HttpContext http, WorkerControl control, CancellationToken ct) =>
        {
            var zip = await control.ZipDatasetAsync(WorkerId(http), runId, ct);
            var stream = new FileStream(zip, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
            return Results.File(stream, "application/zip", "dataset.zip");
        }).WithSummary("The run's dataset version, laid out for the engine (ImageFolder or .jsonl), as a zip. Only for the worker holding the run.");
        runs.MapGet("/source", async (Guid runId, HttpContext http, WorkerControl control, CancellationToken ct) =>
            Results.Stream(await control.OpenSourceAsync(WorkerId(http), runId, ct), "application/octet-stream"))
            .WithSummary("The run's source model (safetensors).");
        runs.MapGet("/checkpoint", async (Guid runId, HttpContext http, WorkerControl control, CancellationToken ct) =>
            Results.Stream(await control.OpenCheckpointAsync(WorkerId(http), runId, ct), "application/zip"))
            .WithSummary("The checkpoint the run resumes from (zip).");
        runs.MapPut("/checkpoint", async (Guid runId, HttpContext http, WorkerControl control, CancellationToken ct) =>
        {
            await control.SaveCheckpointAsync(WorkerId(http), runId, http.Request.Body, ct);
            return Results.NoContent();
        }).WithMetadata(new RequestSizeLimitAttribute(MaxUpload)).WithSummary("Stores the run's latest checkpoint (zip); the next attempt resumes from it.");
        runs.MapPut("/model", async (Guid runId, HttpContext http, WorkerControl control, CancellationToken ct) =>
        {
            await control.SaveModelAsync(WorkerId(http), runId, http.Request.Body, ct);
            return Results.NoContent();
        }).WithMetadata(new RequestSizeLimitAttribute(MaxUpload)).WithSummary("Stores the run's trained model (safetensors).");
        return api;
    }

    private static string WorkerId(HttpContext http) =>
        http.Request.Headers[RemoteWorkerHost.WorkerHeader].FirstOrDefault() is { Length: > 0 and <= 200 } id
            ? id
            : throw ValidationFailedException.For(RemoteWorkerHost.WorkerHeader, $"Send the worker id in the {RemoteWorkerHost.WorkerHeader} header.");
}
