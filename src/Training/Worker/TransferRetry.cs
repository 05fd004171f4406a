using System.Net;
using Polly;
using Polly.Retry;

namespace TransferHub.Training.Worker;

/// <summary>
/// Retries a remote worker's file transfers (dataset, source, checkpoint, model) through transient failures — a
/// dropped connection, a proxy's 502/503/504, a 408 or 429 — with exponential backoff and jitter, so one hiccup of a
/// proxy no longer costs one of a run's three attempts. A refusal (401, 403, 404, 409, 413…) is not retried.
/// </summary>
public static class TransferRetry
{
    /// <param name="maxRetries">Retries after the first try.</param>
    /// <param name="firstDelay">The first backoff; each next one doubles, with jitter, up to 30 s.</param>
    /// <param name="onRetry">Called before each retry with the failure and the attempt number.</param>
    public static ResiliencePipeline Create(int maxRetries = 6, TimeSpan? firstDelay = null, Action<Exception, int>? onRetry = null) =>
        new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = maxRetries,
            Delay = firstDelay ?? TimeSpan.FromSeconds(1),
            MaxDelay = TimeSpan.FromSeconds(30),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && IsTransient(e, args.Context.CancellationToken)),
            OnRetry = args =>
            {
                onRetry?.Invoke(args.Outcome.Exception!, args.AttemptNumber + 1);
                return ValueTask.CompletedTask;
            },
        }).Build();

    /// <summary>Worth another try: the connection failed or dropped mid-body, the request timed out, or a proxy or an
    /// overloaded server answered. Not: the caller cancelled, or the server refused the request itself.</summary>
    public static bool IsTransient(Exception e, CancellationToken callerToken) => e switch
    {
        OperationCanceledException => !callerToken.IsCancellationRequested, // HttpClient's own timeout
        HttpRequestException { StatusCode: { } status } => status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests
            or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout or HttpStatusCode.InternalServerError,
        HttpRequestException => true, // no answer at all: refused, reset, DNS
        IOException => true, // the body broke off
        _ => false,
    };
}
