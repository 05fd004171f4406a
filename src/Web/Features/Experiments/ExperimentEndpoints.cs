using System.Security.Claims;
using TransferHub.Shared.Experiments;

namespace TransferHub.Web.Features.Experiments;

public static class ExperimentEndpoints
{
    public static IServiceCollection AddExperiments(this IServiceCollection services)
    {
        services.AddOptions<JobQueueOptions>().BindConfiguration(JobQueueOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<JobQueue>();
        services.AddSingleton<ExperimentEvents>();
        services.AddSingleton<ExperimentService>().AddSingleton<ConfusionItemsService>().AddSingleton<IRunLineage, RunLineage>();
        services.AddSingleton<TransferabilityService>();
        return services;
    }

    public static RouteGroupBuilder MapExperimentEndpoints(this RouteGroupBuilder api)
    {
        var byProject = api.MapGroup("/projects/{projectId:guid}/experiments").WithTags("Experiments");
        byProject.MapGet("/", (Guid projectId, ClaimsPrincipal user, ExperimentService experiments, CancellationToken ct) => experiments.ListAsync(user, projectId, ct));
        byProject.MapPost("/", async (Guid projectId, CreateExperimentRequest request, ClaimsPrincipal user, ExperimentService experiments, CancellationToken ct) =>
        {
            var experiment = await experiments.CreateAsync(user, projectId, request, ct);
            return Results.Created($"/api/experiments/{experiment.Id}", experiment);
        }).WithSummary("Creates an experiment on a dataset version: a baseline plus transfer arms (each from a finished run), over seeds; queues its runs.");

        var one = api.MapGroup("/experiments/{experimentId:guid}").WithTags("Experiments");
        one.MapGet("/", (Guid experimentId, ClaimsPrincipal user, ExperimentService experiments, CancellationToken ct) => experiments.GetAsync(user, experimentId, ct))
            .WithSummary("The experiment, its runs, and per arm the mean test macro-F1 and the paired difference from the baseline with a verdict.");
        one.MapGet("/runs", async (Guid experimentId, ClaimsPrincipal user, ExperimentService experiments, CancellationToken ct) =>
            (await experiments.GetAsync(user, experimentId, ct)).Runs);
        one.MapGet("/export", async (Guid experimentId, string? format, ClaimsPrincipal user, ExperimentService experiments, CancellationToken ct) =>
        {
            var experiment = await experiments.GetAsync(user, experimentId, ct);
            if (string.Equals(format, "json", StringComparison.OrdinalIgnoreCase))
            {
                var predictions = await experiments.PredictionsAsync(user, experimentId, ct);
                return Results.Json(new { experiment.Name, experiment.Method, experiment.Results, experiment.Efficiency, experiment.EfficiencyNotes, experiment.Runs, predictions }, ExperimentService.Json,
                    statusCode: 200);
            }
            var csv = new System.Text.StringBuilder("arm,strategy,seed,label_fraction,status,attempt,epochs,test_macro_f1,test_accuracy,budget_steps,steps,converged,convergence,arm_verdict,arm_verdict_reason\n");
            var verdicts = experiment.Results.ToDictionary(a => a.Arm);
            foreach (var r in experiment.Runs)
            {
                var arm = verdicts.GetValueOrDefault(r.Arm);
                csv.Append(System.FormattableString.Invariant($"{Versions.VersionExport.Csv(r.Arm)},{r.Strategy},{r.Seed},{r.LabelFraction},{r.Status},{r.Attempt},{r.EpochsDone},{r.TestMacroF1},{r.TestAccuracy},"));
                csv.Append(System.FormattableString.Invariant($"{r.BudgetSteps},{r.StepsDone},{r.Converged},{Versions.VersionExport.Csv(r.ConvergenceNote ?? "")},{arm?.Verdict},{Versions.VersionExport.Csv(arm?.Reason ?? "")}\n"));
            }
            return Results.File(System.Text.Encoding.UTF8.GetBytes(csv.ToString()), "text/csv", $"experiment-{experimentId:N}.csv");
        }).WithSummary("Every run's per-seed test metrics as csv (default) or json (with the per-arm results and every run's per-item test predictions), to recompute the verdict elsewhere.");
        one.MapPost("/cancel", async (Guid experimentId, ClaimsPrincipal user, ExperimentService experiments, CancellationToken ct) =>
        {
            await experiments.CancelAsync(user, experimentId, ct);
            return Results.NoContent();
        });
        one.MapPost("/continue", async (Guid experimentId, ContinueRunsRequest? request, ClaimsPrincipal user, ExperimentService experiments, CancellationToken ct) =>
            Results.Ok(new { continued = await experiments.ContinueUnconvergedAsync(user, experimentId, request?.Steps, ct) }))
            .WithSummary("Continues every finished run that did not converge from its last checkpoint with a larger step budget (default twice its budget).");
        api.MapPost("/versions/{versionId:guid}/transferability", (Guid versionId, TransferabilityRequest request, ClaimsPrincipal user, TransferabilityService scores, CancellationToken ct) =>
            scores.ScoreAsync(user, versionId, request, ct)).WithTags("Experiments")
            .WithSummary("LogME and LEEP of candidate sources (finished runs) on the version's training split, best first — before any training.");
        api.MapGet("/projects/{projectId:guid}/transferability-record", (Guid projectId, ClaimsPrincipal user, TransferabilityService scores, CancellationToken ct) =>
            scores.TrackRecordAsync(user, projectId, ct)).WithTags("Experiments")
            .WithSummary("How often ranking sources (LogME, LEEP) before training picked the source whose arm did best afterwards, over the project's experiments.");
        api.MapGet("/versions/{versionId:guid}/experiment-estimate", (Guid versionId, string architecture, int? imageSize, int? arms, int? seeds, int? epochs,
            int? steps, int? batchSize, string? fractions, ClaimsPrincipal user, ExperimentService experiments, CancellationToken ct) =>
            experiments.EstimateAsync(user, versionId, architecture, imageSize ?? 32, arms ?? 1, seeds ?? 3, epochs, steps, batchSize ?? 32,
                [.. (fractions ?? "1").Split(',', StringSplitOptions.RemoveEmptyEntries)
                    .Select(f => double.TryParse(f, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : double.NaN)], ct))
            .WithTags("Experiments").WithSummary("Before launching: the run count of a definition, each run's step budget (default, or steps/epochs given) and about how long it takes on one worker, from measured step times of earlier comparable runs here.");
        api.MapPost("/runs/{runId:guid}/score-unlabeled", (Guid runId, ClaimsPrincipal user, Labeling.ModelScoringService scoring, CancellationToken ct) =>
            scoring.ScoreUnlabeledAsync(user, runId, ct)).WithTags("Labeling")
            .WithSummary("The run's model scores the unlabeled items of its dataset: pre-labels for annotators and the 'least confident first' queue order.");
        api.MapGet("/runs/{runId:guid}/steps", (Guid runId, ClaimsPrincipal user, ExperimentService experiments, CancellationToken ct) =>
            experiments.StepsAsync(user, runId, ct)).WithTags("Experiments").WithSummary("Every stored per-step training loss of a run (batched by its worker every 250 ms).");
        api.MapGet("/runs/{runId:guid}/confusion/{actual:int}/{predicted:int}", (Guid runId, int actual, int predicted, ClaimsPrincipal user,
                ConfusionItemsService confusion, CancellationToken ct) => confusion.CellAsync(user, runId, actual, predicted, ct))
            .WithTags("Experiments")
            .WithSummary("The test items behind one cell of a run's confusion matrix (true class index, predicted class index), with their current labels: where relabeling starts.");
        api.MapGet("/runs/{runId:guid}/metrics", (Guid runId, ClaimsPrincipal user, ExperimentService experiments, CancellationToken ct) =>
            experiments.MetricsAsync(user, runId, ct)).WithTags("Experiments").WithSummary("Every stored epoch of a run.");
        return api;
    }
}
