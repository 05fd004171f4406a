using TransferHub.Shared.Identity;

namespace TransferHub.Web.Features.Identity;

public static class AuthorizationPolicies
{
    /// <summary>A signed-in person (cookie or personal token); worker tokens are refused.</summary>
    public const string Person = "Person";
    public const string Admin = "Admin";
    /// <summary>A training worker's token.</summary>
    public const string Worker = "Worker";

    public static void Configure(Microsoft.AspNetCore.Authorization.AuthorizationOptions options)
    {
        options.AddPolicy(Person, p => p.RequireAuthenticatedUser().RequireAssertion(c => !c.User.IsInRole(AppPrincipalExtensions.WorkerRole)));
        options.AddPolicy(Admin, p => p.RequireRole(AppRoles.Admin));
        options.AddPolicy(Worker, p => p.RequireRole(AppPrincipalExtensions.WorkerRole));
        // Every endpoint needs a signed-in person unless it says otherwise ([AllowAnonymous], a policy of its own).
        options.FallbackPolicy = options.GetPolicy(Person);
    }
}
