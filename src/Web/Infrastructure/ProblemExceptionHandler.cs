using TransferHub.Shared.Training;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace TransferHub.Web.Infrastructure;

/// <summary>
/// Turns exceptions on API routes into RFC 7807 problem details. Known service errors keep their
/// message; anything else becomes a generic 500 with a trace id: no stack trace reaches a user.
/// Page requests fall through to the /Error page.
/// </summary>
internal sealed partial class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        // The middleware has already pointed the request at /Error; judge by the path that failed.
        var path = context.Features.Get<IExceptionHandlerPathFeature>()?.Path ?? context.Request.Path;
        if (!ApiPaths.IsApi(path))
        {
            return false;
        }
        var problem = exception switch
        {
            ValidationFailedException v => new ValidationProblemDetails(v.Errors) { Status = v.StatusCode, Title = v.Title, Detail = v.Message },
            AppException a => new ProblemDetails { Status = a.StatusCode, Title = a.Title, Detail = a.Message },
            BadHttpRequestException b => new ProblemDetails
            {
                Status = b.StatusCode,
                Title = b.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Request too large" : "Bad request",
                Detail = b.StatusCode == StatusCodes.Status413PayloadTooLarge ? "The request body exceeds the size limit." : "The request could not be read.",
            },
            _ when NoLibTorch.Caused(exception) => new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Not available on this node",
                Detail = "This node runs without libtorch (a serving-only host): it serves model versions from their stored ONNX exports. "
                    + "Importing weights, transferability scores and TorchSharp downloads need a node with the training engine.",
            },
            _ => null,
        };
        if (problem is null)
        {
            LogUnhandled(logger, exception, path);
            problem = new ProblemDetails
            {
                Status = StatusCodes.Status500InternalServerError,
                Title = "Unexpected error",
                Detail = "Something went wrong on the server. The error was logged; quote the trace id when reporting it.",
            };
        }
        context.Response.StatusCode = problem.Status!.Value;
        await problems.WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
        return true;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception on {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string path);
}

/// <summary>A host deployed without libtorch (see the README's serving-only node) fails this way when something needs TorchSharp.</summary>
internal static class ApiPaths
{
    public static bool IsApi(PathString path) => path.StartsWithSegments("/api");
}
