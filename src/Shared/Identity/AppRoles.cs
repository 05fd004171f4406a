namespace TransferHub.Shared.Identity;

/// <summary>Global roles of a TransferHub account. Entra ID app roles use the same names.</summary>
public static class AppRoles
{
    /// <summary>Manages users, tokens and every project.</summary>
    public const string Admin = "Admin";
    /// <summary>Creates projects, datasets and experiments.</summary>
    public const string Scientist = "Scientist";
    /// <summary>Labels items.</summary>
    public const string Labeler = "Labeler";
    /// <summary>Resolves disagreements between labelers.</summary>
    public const string Reviewer = "Reviewer";
    /// <summary>Approves models for production.</summary>
    public const string Approver = "Approver";

    /// <summary>Every role, in display order.</summary>
    public static readonly IReadOnlyList<string> All = [Admin, Scientist, Labeler, Reviewer, Approver];

    /// <summary>The canonical spelling of <paramref name="role"/>, or null when it is not a role.</summary>
    public static string? Normalize(string role) =>
        All.FirstOrDefault(r => string.Equals(r, role, StringComparison.OrdinalIgnoreCase));
}
