using TransferHub.Shared.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace TransferHub.Web.Infrastructure.Telemetry;

public static class TelemetrySetup
{
    /// <summary>
    /// OpenTelemetry for the product's meter and activity source and ASP.NET Core's; exported over OTLP when
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is configured (the standard variable), kept in process otherwise.
    /// </summary>
    public static IServiceCollection AddTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<AppMetrics>();
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("transferhub-web"))
            .WithMetrics(m => m.AddMeter(AppMetrics.Name).AddAspNetCoreInstrumentation())
            .WithTracing(t => t.AddSource(AppMetrics.Name).AddAspNetCoreInstrumentation());
        if (!string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.UseOtlpExporter();
        }
        return services;
    }
}
