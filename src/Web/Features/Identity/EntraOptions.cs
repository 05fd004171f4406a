namespace TransferHub.Web.Features.Identity;

/// <summary>Entra ID sign-in is on when the <c>AzureAd</c> section names a ClientId.</summary>
public static class EntraOptions
{
    public const string Section = "AzureAd";
    public const string Scheme = "Entra";
    public const string DisplayName = "Microsoft Entra ID";

    public static bool IsConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[$"{Section}:ClientId"]);
}
