using TransferHub.Registry.Features.Drift;
using System.Security.Claims;
using TransferHub.Shared.Registry;

namespace TransferHub.Web.Features.Registry;

/// <summary>Monitoring routes: drift status and history, a check on demand, and sending inputs to labeling.</summary>
public static class DriftEndpoints
{
    public static RouteGroupBuilder MapDriftEndpoints(this RouteGroupBuilder api)
    {
        var drift = api.MapGroup("/models/{model}/drift").WithTags("Monitoring");
        drift.MapGet("/", (string model, ClaimsPrincipal user, DriftService service, CancellationToken ct) => service.OverviewAsync(user, model, ct))
            .WithSummary("Drift status now and the history of checks (oldest first), with every test's statistic and p-value.");
        drift.MapPost("/run", (string model, ClaimsPrincipal user, DriftService service, CancellationToken ct) => service.RunAsync(user, model, ct))
            .WithSummary("Checks the latest window of production traffic against the production version's reference now.");
        drift.MapPost("/send-to-labeling", (string model, SendToLabelingRequest? request, ClaimsPrincipal user, LabelingLoop loop, CancellationToken ct) =>
            loop.SendAsync(user, model, request ?? new SendToLabelingRequest(), ct))
            .WithSummary("Adds low-confidence inputs, and those of a drifted window, to a dataset's labeling queue (raw inputs must have been kept).");
        return api;
    }
}
