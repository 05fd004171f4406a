using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Options;

namespace TransferHub.Tests.Unit.Integration;

/// <summary>A wrong setting stops the start, and the error names the key.</summary>
public sealed class SettingsValidationTests
{
    private sealed class FactoryWith(string key, string value) : TransferHubFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting(key, value);
        }
    }

    [Theory]
    [InlineData("Registry:MaxLoadedModels", "0", "MaxLoadedModels")]
    [InlineData("Registry:DriftInterval", "-00:05:00", "DriftInterval")]
    [InlineData("Registry:PredictionRetention", "-1.00:00:00", "PredictionRetention")]
    [InlineData("Hub:Endpoint", "not a url", "Endpoint")]
    [InlineData("Hub:Timeout", "00:00:00", "Timeout")]
    [InlineData("Hub:Offline", "true", "Hub:Offline is set without Hub:OfflineFolder")]
    [InlineData("Hub:OfflineFolder", "/nonexistent/hub-cache", "Hub:OfflineFolder names a folder that does not exist")]
    [InlineData("Bootstrap:AdminToken", "too-short", "Bootstrap:AdminToken must be at least 24 characters long.")]
    [InlineData("Bootstrap:AdminEmail", "not an address", "AdminEmail")]
    public void AnInvalidSettingStopsTheStartNamingIt(string key, string value, string named)
    {
        using var factory = new FactoryWith(key, value);

        var thrown = Should.Throw<Exception>(() => factory.CreateClient());

        // The host may wrap it; the validation error itself is what a person reads in the log.
        var error = Flatten(thrown).OfType<OptionsValidationException>().FirstOrDefault();
        error.ShouldNotBeNull(thrown.ToString());
        error.Message.ShouldContain(named);
    }

    private static IEnumerable<Exception> Flatten(Exception e) =>
        e is AggregateException many ? many.InnerExceptions.SelectMany(Flatten)
        : e.InnerException is { } inner ? Flatten(inner).Prepend(e) : [e];
}
