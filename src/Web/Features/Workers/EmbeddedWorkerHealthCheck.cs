using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TransferHub.Web.Features.Workers;

/// <summary>
/// <c>embedded-worker</c> in <c>GET /health</c>: Degraded (still HTTP 200: the portal serves) while the worker child is
/// being restarted, so monitoring sees a crashing worker without an orchestrator restarting the web server for it.
/// </summary>
internal sealed class EmbeddedWorkerHealthCheck(EmbeddedWorkerProcess embedded) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = embedded.Status;
        var restarts = status.Restarts > 0 ? $"; restarted {status.Restarts}×, last: {status.LastExit}" : "";
        return Task.FromResult(status.State == "restarting"
            ? HealthCheckResult.Degraded($"The worker process {status.LastExit}; restarting{restarts}.")
            : HealthCheckResult.Healthy(status.Mode == nameof(EmbeddedWorkerMode.Process) ? $"Process: {status.State}{restarts}." : $"{status.Mode}: no worker process."));
    }
}
