using System.ComponentModel.DataAnnotations;

namespace TransferHub.Web.Infrastructure;

/// <summary>Configuration section <c>Api</c>.</summary>
public sealed class ApiOptions
{
    public const string Section = "Api";

    /// <summary>Largest request body an API route accepts unless it sets its own limit.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxRequestBodyBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Lifetime of a personal access token when the request names none.</summary>
    [Range(1, 3650)]
    public int DefaultTokenLifetimeDays { get; set; } = 90;

    /// <summary>Longest lifetime a personal access token may have.</summary>
    [Range(1, 3650)]
    public int MaxTokenLifetimeDays { get; set; } = 365;
}
