using Microsoft.Extensions.Options;

namespace TransferHub.Web.Features.Weights.Hub;

public static class HubServiceCollectionExtensions
{
    /// <summary>The Hub client with its own connection pool; redirects to the Hub's file CDN are followed without the token.</summary>
    public static IServiceCollection AddHubClient(this IServiceCollection services, string dataRoot)
    {
        services.AddOptions<HubOptions>().BindConfiguration(HubOptions.Section).ValidateDataAnnotations().ValidateOnStart()
            .Validate(o => !o.Offline || !string.IsNullOrWhiteSpace(o.OfflineFolder), "Hub:Offline is set without Hub:OfflineFolder: name the folder that holds the Hub's cache.")
            .Validate(o => string.IsNullOrWhiteSpace(o.OfflineFolder) || Directory.Exists(o.OfflineFolder), "Hub:OfflineFolder names a folder that does not exist.")
            .PostConfigure(o => o.CacheFolder ??= Path.Combine(dataRoot, "hub-cache"));
        return services.AddSingleton(sp => new HubClient(
            new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan },
            sp.GetRequiredService<IOptions<HubOptions>>(), sp.GetRequiredService<ILogger<HubClient>>()));
    }
}
