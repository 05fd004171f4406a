namespace TransferHub.Web.Infrastructure;

/// <summary>
/// The response headers every page and API answer carries: no MIME sniffing (an uploaded file served back is never run
/// as script), no framing by other sites, no full URLs (with ids) leaked to other origins, no camera, microphone or
/// location. A Content-Security-Policy beyond Blazor's own <c>frame-ancestors</c> is not set yet (issue 13, item 8).
/// </summary>
public static class SecurityHeaders
{
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "SAMEORIGIN";
            headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
            headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
            return Task.CompletedTask;
        });
        await next(context);
    });
}
