namespace TransferHub.Shared.Common;

/// <summary>Names that hosts, workers and tests must spell the same way.</summary>
public static class Names
{
    /// <summary>Connection string name of the application database.</summary>
    public const string Database = "TransferHub";
    /// <summary>Route of the health endpoint.</summary>
    public const string HealthRoute = "/health";
    /// <summary>Route of the OpenAPI document.</summary>
    public const string OpenApiRoute = "/openapi/v1.json";
    /// <summary>Prefix of personal access tokens.</summary>
    public const string PersonalTokenPrefix = "thp_";
    /// <summary>Prefix of worker tokens.</summary>
    public const string WorkerTokenPrefix = "thw_";
}
