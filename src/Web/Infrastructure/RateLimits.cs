using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace TransferHub.Web.Infrastructure;

/// <summary>Configuration section <c>RateLimits</c>: requests per minute before a 429 with <c>Retry-After</c>.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    /// <summary>Password sign-ins (the sign-in form and <c>POST /api/auth/token</c>) per client address.</summary>
    [Range(1, 1_000_000)]
    public int SignInPerMinute { get; set; } = 20;

    /// <summary>Prediction requests per caller (token or account; the address when anonymous).</summary>
    [Range(1, 10_000_000)]
    public int PredictPerMinute { get; set; } = 600;
}

/// <summary>
/// ASP.NET Core's rate limiter on the routes a guesser or a runaway script would hammer: password sign-in per address
/// (lockout protects one account; this protects all of them from one client), predictions per caller.
/// </summary>
public static class RateLimits
{
    public const string Predict = "predict";

    public static IServiceCollection AddAppRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = async (context, ct) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                context.HttpContext.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                await Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests",
                    detail: $"Slow down: try again in {Math.Ceiling(retryAfter.TotalSeconds)} s.").ExecuteAsync(context.HttpContext);
            };
            o.AddPolicy(Predict, context => PerMinute(Caller(context), Limits(context).PredictPerMinute));
            // Both ways to try a password share one count per address. The sign-in form is a Razor component page, not an
            // endpoint a policy can be put on, so both are matched by path here.
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                IsSignIn(context.Request)
                    ? PerMinute($"sign-in:{Address(context)}", Limits(context).SignInPerMinute)
                    : RateLimitPartition.GetNoLimiter(""));
        });
        return services;
    }

    private static bool IsSignIn(HttpRequest request) => HttpMethods.IsPost(request.Method)
        && (request.Path.StartsWithSegments("/Account/Login", StringComparison.OrdinalIgnoreCase)
            || request.Path.StartsWithSegments("/api/auth/token", StringComparison.OrdinalIgnoreCase));

    private static RateLimitOptions Limits(HttpContext context) => context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;

    private static RateLimitPartition<string> PerMinute(string key, int limit) => RateLimitPartition.GetFixedWindowLimiter(key, _ =>
        new FixedWindowRateLimiterOptions { PermitLimit = limit, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });

    private static string Address(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    private static string Caller(HttpContext context) =>
        context.User.FindFirstValue(ClaimTypes.NameIdentifier) is { } id ? $"user:{id}" : $"address:{Address(context)}";
}
