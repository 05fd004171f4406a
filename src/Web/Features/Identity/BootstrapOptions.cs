using System.ComponentModel.DataAnnotations;

namespace TransferHub.Web.Features.Identity;

/// <summary>Configuration section <c>Bootstrap</c>: the first admin and API token, seeded on an empty database only.</summary>
public sealed class BootstrapOptions
{
    public const string Section = "Bootstrap";

    [EmailAddress]
    public string? AdminEmail { get; set; }

    public string? AdminPassword { get; set; }

    /// <summary>An API token imported for that admin (hashed at rest like every token).</summary>
    [MinLength(24, ErrorMessage = "Bootstrap:AdminToken must be at least 24 characters long.")]
    public string? AdminToken { get; set; }
}
