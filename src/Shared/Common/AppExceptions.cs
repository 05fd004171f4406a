namespace TransferHub.Shared.Common;

/// <summary>Errors a service raises for the caller to see; mapped to problem details by the host (Web's
/// ProblemExceptionHandler) and shown as messages in the UI. Anything else is a bug and reaches users only as a generic 500.</summary>
public abstract class AppException(string message) : Exception(message)
{
    /// <summary>The HTTP status the host answers with.</summary>
    public abstract int StatusCode { get; }

    /// <summary>The problem's short title.</summary>
    public abstract string Title { get; }
}

/// <summary>The thing asked for does not exist, or the caller may not know that it does.</summary>
public sealed class NotFoundException(string message) : AppException(message)
{
    /// <inheritdoc />
    public override int StatusCode => 404;
    /// <inheritdoc />
    public override string Title => "Not found";
}

/// <summary>The caller is known but their role does not allow this.</summary>
public sealed class ForbiddenException(string message) : AppException(message)
{
    /// <inheritdoc />
    public override int StatusCode => 403;
    /// <inheritdoc />
    public override string Title => "Forbidden";
}

/// <summary>The request contradicts the current state (a name taken, a stage already left, a concurrent edit).</summary>
public sealed class ConflictException(string message) : AppException(message)
{
    /// <inheritdoc />
    public override int StatusCode => 409;
    /// <inheritdoc />
    public override string Title => "Conflict";
}

/// <summary>The caller is not signed in, or their credentials do not hold.</summary>
public sealed class UnauthorizedException(string message) : AppException(message)
{
    /// <inheritdoc />
    public override int StatusCode => 401;
    /// <inheritdoc />
    public override string Title => "Unauthorized";
}

/// <summary>Fields of the request are invalid; each names what is wrong with it.</summary>
public sealed class ValidationFailedException(IDictionary<string, string[]> errors)
    : AppException(string.Join(" ", errors.SelectMany(e => e.Value)))
{
    /// <summary>Messages per field.</summary>
    public IDictionary<string, string[]> Errors { get; } = errors;
    /// <inheritdoc />
    public override int StatusCode => 400;
    /// <inheritdoc />
    public override string Title => "Invalid request";

    /// <summary>One field, one message.</summary>
    public static ValidationFailedException For(string field, string message) => new(new Dictionary<string, string[]> { [field] = [message] });
}

/// <summary>A service this one depends on (the model Hub) failed or did not answer: not the caller's fault, worth retrying.</summary>
public sealed class UpstreamFailedException(string message) : AppException(message)
{
    /// <inheritdoc />
    public override int StatusCode => 502;
    /// <inheritdoc />
    public override string Title => "Upstream service failed";
}
