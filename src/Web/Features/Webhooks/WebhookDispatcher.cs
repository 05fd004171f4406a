using System.Diagnostics;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TransferHub.Shared.Webhooks;
using TransferHub.Web.Data;

namespace TransferHub.Web.Features.Webhooks;

/// <summary>
/// Sends due deliveries: claims each with a lease (so two nodes never send the same try), posts it signed, and records
/// the outcome; a failure is tried again with backoff until <see cref="WebhookOptions.MaxAttempts"/>. A slow or hanging
/// receiver costs at most <see cref="WebhookOptions.Timeout"/> of one of four parallel senders, never a request.
/// Redirects are not followed (a public URL must not bounce the server onto a private one).
/// </summary>
public sealed partial class WebhookDispatcher(
    IDbContextFactory<AppDbContext> dbFactory, WriteGate writes, WebhookOutbox outbox, IHttpClientFactory http, IDataProtectionProvider protection,
    TimeProvider clock, IOptions<WebhookOptions> options, ILogger<WebhookDispatcher> logger) : BackgroundService
{
    public const string ClientName = "webhooks";
    public const string SecretPurpose = "TransferHub.Webhooks.Secret.v1";
    // Only as many as are sent at once: a claimed delivery starts at once, well inside its lease.
    private const int Batch = 4;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await SendDueAsync(stoppingToken) == 0)
                {
                    await outbox.Due.WaitAsync(options.Value.PollInterval, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The database may be away for a moment: log, wait one interval, go on.
                LogLoopFailed(logger, e);
                await outbox.Due.WaitAsync(options.Value.PollInterval, stoppingToken);
            }
        }
    }

    /// <summary>Claims and sends one batch of due deliveries; returns how many were sent.</summary>
    public async Task<int> SendDueAsync(CancellationToken ct)
    {
        var claimed = await ClaimAsync(ct);
        await Task.WhenAll(claimed.Select(d => SendAsync(d, ct)));
        return claimed.Count;
    }

    private async Task<List<(WebhookDelivery Delivery, Webhook Hook, DateTimeOffset Lease)>> ClaimAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        var due = await db.WebhookDeliveries().AsNoTracking()
            .Where(d => d.Status == WebhookDeliveryStatus.Pending && d.NextAttemptAt <= now && (d.LeaseUntil == null || d.LeaseUntil < now))
            .OrderBy(d => d.NextAttemptAt).Take(Batch).ToListAsync(ct);
        var claimed = new List<(WebhookDelivery, Webhook, DateTimeOffset)>();
        // Whole milliseconds: the lease doubles as this node's token, compared when the outcome is written, and
        // PostgreSQL keeps microseconds only.
        var leaseUntil = DateTimeOffset.FromUnixTimeMilliseconds((now + options.Value.Timeout * 3).ToUnixTimeMilliseconds() + Random.Shared.Next(1000));
        foreach (var d in due)
        {
            int won;
            using (await writes.EnterAsync(ct))
            {
                won = await db.WebhookDeliveries()
                    .Where(x => x.Id == d.Id && x.Status == WebhookDeliveryStatus.Pending && x.Attempts == d.Attempts && (x.LeaseUntil == null || x.LeaseUntil < now))
                    .ExecuteUpdateAsync(s => s.SetProperty(x => x.LeaseUntil, leaseUntil), ct);
            }
            if (won == 1 && await db.Webhooks().AsNoTracking().SingleOrDefaultAsync(w => w.Id == d.WebhookId, ct) is { } hook)
            {
                claimed.Add((d, hook, leaseUntil));
            }
        }
        return claimed;
    }

    private async Task SendAsync((WebhookDelivery Delivery, Webhook Hook, DateTimeOffset Lease) item, CancellationToken ct)
    {
        var (delivery, hook, lease) = item;
        var watch = Stopwatch.StartNew();
        int? status = null;
        string? error = null;
        var final = false;
        try
        {
            var body = WebhookBodies.Render(hook.Format, delivery.Payload);
            var secret = protection.CreateProtector(SecretPurpose).Unprotect(hook.ProtectedSecret);
            using var request = new HttpRequestMessage(HttpMethod.Post, hook.Url) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
            request.Headers.Add(WebhookBodies.EventHeader, delivery.Event);
            request.Headers.Add(WebhookBodies.DeliveryHeader, delivery.EventId.ToString());
            request.Headers.Add(WebhookBodies.SignatureHeader, WebhookBodies.Sign(secret, clock.GetUtcNow().ToUnixTimeSeconds(), body));
            request.Headers.UserAgent.ParseAdd("TransferHub-Webhooks/1");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.Value.Timeout);
            using var response = await http.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            status = (int)response.StatusCode;
            if (status is >= 300 and < 400)
            {
                error = $"Redirect to {response.Headers.Location} not followed: point the webhook at the final URL.";
                final = true;
            }
            else if (!response.IsSuccessStatusCode)
            {
                error = $"{status} {response.ReasonPhrase}";
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            error = $"No answer within {options.Value.Timeout.TotalSeconds:0.#} s.";
        }
        catch (HttpRequestException e) when (e.InnerException is WebhookTargetRefusedException refused)
        {
            error = refused.Message;
            final = true;
        }
        catch (HttpRequestException e)
        {
            error = e.InnerException?.Message ?? e.Message;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            // The key ring that encrypted the secret is gone (a restore elsewhere): no try can ever be signed.
            error = "The webhook's secret cannot be read with this installation's keys; delete the webhook and add it again.";
            final = true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            error = $"{e.GetType().Name}: {e.Message}";
        }
        await RecordAsync(delivery, lease, status, error, final, watch.Elapsed.TotalMilliseconds, ct);
        if (error is not null)
        {
            LogDeliveryFailed(logger, delivery.Event, hook.Id, delivery.Attempts + 1, error);
        }
    }

    /// <summary>Writes a try's outcome, only while this node's lease holds: a node that lost it must not overwrite the winner's.</summary>
    private async Task RecordAsync(WebhookDelivery sent, DateTimeOffset lease, int? status, string? error, bool final, double ms, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        var attempts = sent.Attempts + 1;
        var outcome = error is null ? WebhookDeliveryStatus.Delivered
            : final || attempts >= options.Value.MaxAttempts ? WebhookDeliveryStatus.Failed : WebhookDeliveryStatus.Pending;
        var next = outcome == WebhookDeliveryStatus.Pending ? now + WebhookOptions.Backoff(attempts) : sent.NextAttemptAt;
        var trimmed = error is { Length: > 1000 } ? error[..1000] : error;
        using (await writes.EnterAsync(ct))
        {
            await db.WebhookDeliveries().Where(d => d.Id == sent.Id && d.LeaseUntil == lease).ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Attempts, attempts).SetProperty(d => d.Status, outcome).SetProperty(d => d.NextAttemptAt, next)
                .SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null).SetProperty(d => d.LastStatusCode, status)
                .SetProperty(d => d.LastError, trimmed).SetProperty(d => d.LastDurationMs, Math.Round(ms, 1))
                .SetProperty(d => d.DeliveredAt, outcome == WebhookDeliveryStatus.Delivered ? (DateTimeOffset?)now : null), ct);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook delivery loop failed; trying again after the poll interval")]
    private static partial void LogLoopFailed(ILogger logger, Exception e);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook {WebhookId}: {Event} try {Attempt} failed: {Error}")]
    private static partial void LogDeliveryFailed(ILogger logger, string @event, Guid webhookId, int attempt, string error);
}
