using System.ComponentModel.DataAnnotations;

namespace TransferHub.Registry.Features.Artifacts;

public enum ArtifactProvider
{
    FileSystem,
    AzureBlob,
}

/// <summary>Configuration section <c>Artifacts</c>.</summary>
public sealed class ArtifactStoreOptions : IValidatableObject
{
    public const string Section = "Artifacts";

    public ArtifactProvider Provider { get; set; } = ArtifactProvider.FileSystem;

    /// <summary>Folder of the file-system store; relative paths are under the app's data folder.</summary>
    public string Path { get; set; } = "artifacts";

    /// <summary>Azure Storage connection string (secret: environment or user-secrets only).</summary>
    public string? BlobConnectionString { get; set; }

    [RegularExpression("^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$", ErrorMessage = "Artifacts:Container must be a valid blob container name.")]
    public string Container { get; set; } = "transferhub";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Provider == ArtifactProvider.AzureBlob && string.IsNullOrWhiteSpace(BlobConnectionString))
        {
            yield return new ValidationResult(
                "Artifacts:BlobConnectionString is required when Artifacts:Provider is AzureBlob.", [nameof(BlobConnectionString)]);
        }
    }
}
