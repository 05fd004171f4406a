using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Identity.Web;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Tokens;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Identity;

public static class IdentityServiceCollectionExtensions
{
    private const string CookieOrToken = "CookieOrToken";

    /// <summary>
    /// Local accounts (ASP.NET Core Identity) with lockout, bearer tokens for the API, and Entra ID as an
    /// external login when configured. A request with a bearer header is judged by the token alone.
    /// </summary>
    public static IServiceCollection AddAppIdentity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<BootstrapOptions>().BindConfiguration(BootstrapOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddIdentity<AppUser, IdentityRole>(o =>
            {
                o.User.RequireUniqueEmail = true;
                o.Password.RequiredLength = 10;
                o.Password.RequireNonAlphanumeric = false;
                o.Lockout.MaxFailedAccessAttempts = configuration.GetValue("Identity:MaxFailedAccessAttempts", 5);
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(configuration.GetValue("Identity:LockoutMinutes", 15));
                o.Lockout.AllowedForNewUsers = true;
            })
            .AddEntityFrameworkStores<AppDbContext>()
            .AddDefaultTokenProviders();

        services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = "/Account/Login";
            o.LogoutPath = "/Account/Logout";
            o.AccessDeniedPath = "/Account/AccessDenied";
            o.Cookie.Name = "TransferHub.Auth";
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.SlidingExpiration = true;
            o.ExpireTimeSpan = TimeSpan.FromHours(12);
            // The API answers with status codes, never with a redirect to the sign-in page.
            o.Events.OnRedirectToLogin = ctx => ApiAware(ctx, StatusCodes.Status401Unauthorized);
            o.Events.OnRedirectToAccessDenied = ctx => ApiAware(ctx, StatusCodes.Status403Forbidden);
        });
        // Roles and lockout changed by an admin reach open sessions within a minute.
        services.Configure<SecurityStampValidatorOptions>(o => o.ValidationInterval = TimeSpan.FromMinutes(1));

        var auth = services.AddAuthentication(o =>
            {
                o.DefaultScheme = CookieOrToken;
                o.DefaultAuthenticateScheme = CookieOrToken;
                o.DefaultChallengeScheme = CookieOrToken;
                o.DefaultForbidScheme = CookieOrToken;
            })
            .AddPolicyScheme(CookieOrToken, "Cookie or bearer token", o => o.ForwardDefaultSelector = ctx =>
                TokenAuthenticationHandler.BearerSecret(ctx.Request) is not null
                    ? TokenAuthenticationHandler.SchemeName
                    : IdentityConstants.ApplicationScheme)
            .AddScheme<AuthenticationSchemeOptions, TokenAuthenticationHandler>(TokenAuthenticationHandler.SchemeName, null);

        if (EntraOptions.IsConfigured(configuration))
        {
            // Entra is an external login of Identity: its sign-in lands in the external cookie and
            // ExternalLoginEndpoints links it to a local account, so membership and roles live in one place.
            auth.AddMicrosoftIdentityWebApp(configuration.GetSection(EntraOptions.Section),
                openIdConnectScheme: EntraOptions.Scheme, cookieScheme: null, displayName: EntraOptions.DisplayName);
            services.Configure<Microsoft.AspNetCore.Authentication.OpenIdConnect.OpenIdConnectOptions>(EntraOptions.Scheme,
                o => o.SignInScheme = IdentityConstants.ExternalScheme);
        }

        services.AddAuthorization(AuthorizationPolicies.Configure);
        services.AddCascadingAuthenticationState();
        services.AddSingleton<TokenService>();
        services.AddSingleton<EntraUserProvisioner>();
        services.AddSingleton<FirstRunState>();
        return services;
    }

    private static Task ApiAware(RedirectContext<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> ctx, int status)
    {
        if (ApiPaths.IsApi(ctx.Request.Path))
        {
            ctx.Response.StatusCode = status;
            return Task.CompletedTask;
        }
        ctx.Response.Redirect(ctx.RedirectUri);
        return Task.CompletedTask;
    }
}
