using Microsoft.Extensions.Options;

namespace TransferHub.Web.Features.Webhooks;

public static class WebhookServiceCollectionExtensions
{
    /// <summary>The outbox features announce events to, the dispatcher that sends them, and the guarded HTTP client it uses.</summary>
    public static IServiceCollection AddWebhooks(this IServiceCollection services)
    {
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddHttpClient(WebhookDispatcher.ClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var options = sp.GetRequiredService<IOptionsMonitor<WebhookOptions>>();
                return new SocketsHttpHandler
                {
                    AllowAutoRedirect = false,
                    // A proxy would resolve and dial the target itself, past the address check below.
                    UseProxy = false,
                    UseCookies = false,
                    PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                    ConnectCallback = WebhookTargets.Connect(() => options.CurrentValue.AllowPrivateTargets),
                };
            });
        services.AddSingleton<WebhookOutbox>().AddSingleton<WebhookService>();
        services.AddHostedService<WebhookDispatcher>();
        return services;
    }
}
