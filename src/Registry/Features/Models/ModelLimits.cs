namespace TransferHub.Registry.Features.Models;

/// <summary>The registry's column limits; the API's validation (RegistryRules) uses the same numbers.</summary>
public static class ModelLimits
{
    public const int MaxNameLength = 100;
    public const int MaxDescriptionLength = 8000;
    public const int MaxCommentLength = 2000;
    /// <summary>A logged text input: the longest text a dataset item may hold (DatasetRules.MaxTextLength; a test keeps them equal).</summary>
    public const int MaxRawTextLength = 20_000;
}
