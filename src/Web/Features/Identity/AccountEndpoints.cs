using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace TransferHub.Web.Features.Identity;

/// <summary>Sign-out and the Entra round trip; sign-in and setup are static pages under Components/Pages/Account.</summary>
public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        var account = app.MapGroup("/Account").ExcludeFromDescription();
        // A form post with an antiforgery token: a form on another site cannot sign a user out. Checked here: the
        // middleware only records the result, and an endpoint that binds no form never looks at it.
        account.MapPost("/Logout", async (HttpContext http, IAntiforgery antiforgery, SignInManager<AppUser> signIn) =>
        {
            if (!await antiforgery.IsRequestValidAsync(http))
            {
                return Results.BadRequest();
            }
            await signIn.SignOutAsync();
            return Results.LocalRedirect("~/Account/Login");
        });
        account.MapGet("/ExternalLogin", (string? returnUrl, SignInManager<AppUser> signIn) =>
        {
            var callback = $"/Account/ExternalCallback?returnUrl={Uri.EscapeDataString(SafeReturnUrl(returnUrl))}";
            var properties = signIn.ConfigureExternalAuthenticationProperties(EntraOptions.Scheme, callback);
            return Results.Challenge(properties, [EntraOptions.Scheme]);
        }).AllowAnonymous();
        account.MapGet("/ExternalCallback", async (string? returnUrl, HttpContext http, SignInManager<AppUser> signIn,
            EntraUserProvisioner provisioner, FirstRunState firstRun, CancellationToken ct) =>
        {
            var external = await http.AuthenticateAsync(IdentityConstants.ExternalScheme);
            if (!external.Succeeded)
            {
                return Results.LocalRedirect("~/Account/Login?error=external");
            }
            var user = await provisioner.ProvisionAsync(external.Principal, ct, http.Connection.RemoteIpAddress?.ToString());
            await http.SignOutAsync(IdentityConstants.ExternalScheme);
            await signIn.SignInAsync(user, isPersistent: false, EntraOptions.Scheme);
            await firstRun.NeedsSetupAsync(ct);
            return Results.LocalRedirect(SafeReturnUrl(returnUrl));
        }).AllowAnonymous();
        return app;
    }

    /// <summary>Only local paths: an open redirect would let a phishing link bounce through us.</summary>
    public static string SafeReturnUrl(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal)
            && !returnUrl.StartsWith("/\\", StringComparison.Ordinal) ? returnUrl : "/";
}
