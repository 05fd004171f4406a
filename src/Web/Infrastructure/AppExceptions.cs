namespace TransferHub.Web.Infrastructure;

/// <summary>Errors a service raises for the caller to see; mapped to problem details by <see cref="ProblemExceptionHandler"/>
/// and shown as messages in the UI. Anything else is a bug and reaches users only as a generic 500.</summary>
public abstract class AppException(string message) : Exception(message)
{
    public abstract int StatusCode { get; }
    public abstract string Title { get; }
}

public sealed class NotFoundException(string message) : AppException(message)
{
    public override int StatusCode => StatusCodes.Status404NotFound;
    public override string Title => "Not found";
}

public sealed class ForbiddenException(string message) : AppException(message)
{
    public override int StatusCode => StatusCodes.Status403Forbidden;
    public override string Title => "Forbidden";
}

public sealed class ConflictException(string message) : AppException(message)
{
    public override int StatusCode => StatusCodes.Status409Conflict;
    public override string Title => "Conflict";
}

public sealed class UnauthorizedException(string message) : AppException(message)
{
    public override int StatusCode => StatusCodes.Status401Unauthorized;
    public override string Title => "Unauthorized";
}

public sealed class ValidationFailedException(IDictionary<string, string[]> errors)
    : AppException(string.Join(" ", errors.SelectMany(e => e.Value)))
{
    public IDictionary<string, string[]> Errors { get; } = errors;
    public override int StatusCode => StatusCodes.Status400BadRequest;
    public override string Title => "Invalid request";

    public static ValidationFailedException For(string field, string message) => new(new Dictionary<string, string[]> { [field] = [message] });
}

/// <summary>A service this one depends on (the model Hub) failed or did not answer: not the caller's fault, worth retrying.</summary>
public sealed class UpstreamFailedException(string message) : AppException(message)
{
    public override int StatusCode => StatusCodes.Status502BadGateway;
    public override string Title => "Upstream service failed";
}
