using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Shared.Common;
using TransferHub.Web.Data;

namespace TransferHub.Web.Features.Health;

public static class HealthEndpoints
{
    public static IServiceCollection AddAppHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddDbContextCheck<AppDbContext>("database")
            .AddCheck<ArtifactStoreHealthCheck>("artifacts")
            .AddCheck<Workers.EmbeddedWorkerHealthCheck>("embedded-worker");
        return services;
    }

    /// <summary><c>GET /health</c>: 200 when every check passes, 503 otherwise, with one entry per dependency. No token needed.</summary>
    public static IEndpointRouteBuilder MapAppHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks(Names.HealthRoute, new HealthCheckOptions { ResponseWriter = WriteAsync }).AllowAnonymous();
        return app;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, new
        {
            status = report.Status.ToString(),
            totalMs = Math.Round(report.TotalDuration.TotalMilliseconds, 1),
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString(),
                description = e.Value.Description,
                ms = Math.Round(e.Value.Duration.TotalMilliseconds, 1),
            }),
        }, JsonSerializerOptions.Web, context.RequestAborted);
    }
}

internal sealed class ArtifactStoreHealthCheck(IArtifactStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            await store.CheckHealthAsync(ct);
            return HealthCheckResult.Healthy(store.GetType().Name);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The message names the failing store without leaking connection details or a stack.
            return HealthCheckResult.Unhealthy($"{store.GetType().Name}: {e.GetType().Name}");
        }
    }
}
