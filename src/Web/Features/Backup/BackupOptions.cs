using System.ComponentModel.DataAnnotations;

namespace TransferHub.Web.Features.Backup;

/// <summary>Backups made from the Admin page, the API and the schedule (<c>Backup</c> section).</summary>
public sealed class BackupOptions : IValidatableObject
{
    public const string Section = "Backup";

    /// <summary>Where backups are written, relative to <c>Data:Root</c> unless rooted. Not inside the artifact store.</summary>
    [Required]
    public string Folder { get; set; } = "backups";

    /// <summary>How often a backup is made on schedule; <c>0</c> (the default) makes none.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.Zero;

    /// <summary>How many backups the folder keeps; after each new one the oldest beyond this are deleted.</summary>
    [Range(1, 1000)]
    public int Keep { get; set; } = 7;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Interval != TimeSpan.Zero && Interval < TimeSpan.FromMinutes(1))
        {
            yield return new ValidationResult("Backup:Interval must be 0 (no schedule) or at least 00:01:00.", [nameof(Interval)]);
        }
    }
}
