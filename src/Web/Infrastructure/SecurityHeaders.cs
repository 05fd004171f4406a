using System.Security.Cryptography;

namespace TransferHub.Web.Infrastructure;

/// <summary>
/// The response headers every page and API answer carries: a Content-Security-Policy, no MIME sniffing (an uploaded file
/// served back is never run as script), no framing by other sites, no full URLs (with ids) leaked to other origins, no
/// camera, microphone or location.
/// </summary>
public static class SecurityHeaders
{
    /// <summary>Where the request's script nonce is kept for the page (<c>App.razor</c> puts it on the import map).</summary>
    public const string NonceKey = "csp-nonce";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        // Hex, not base64: a "+" or "/" would be HTML-encoded in the attribute (the browser decodes it, a reader of the page may not).
        var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        context.Items[NonceKey] = nonce;
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = Policy(nonce);
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "SAMEORIGIN";
            headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
            headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
            return Task.CompletedTask;
        });
        await next(context);
    });

    /// <summary>
    /// Scripts only from this origin, plus the one inline script Blazor writes (the import map) by this request's nonce: no
    /// inline handlers, no <c>javascript:</c> URLs, no eval — a stored XSS that slips past the sanitizer still cannot run.
    /// Styles may be inline: MudBlazor sets <c>style</c> attributes on its components (CSS cannot run script). The circuit's
    /// WebSocket is same-origin (<c>'self'</c> covers ws/wss of this host). No form-action: an Entra sign-in redirects a form
    /// post to Microsoft's sign-in page.
    /// </summary>
    public static string Policy(string nonce) =>
        $"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
        "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'";
}
