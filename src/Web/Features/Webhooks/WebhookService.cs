using System.Security.Claims;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TransferHub.Shared.Webhooks;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Identity;
using TransferHub.Web.Features.Projects;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Webhooks;

/// <summary>
/// Webhooks of a project (its Owners, and Admins) and global ones (Admins): create with a secret shown once, list with
/// the last delivery, delete, send a test ping, read the delivery log, redeliver.
/// </summary>
public sealed class WebhookService(
    IDbContextFactory<AppDbContext> dbFactory, ProjectService projects, WebhookOutbox outbox, IDataProtectionProvider protection,
    IOptions<WebhookOptions> options, TimeProvider clock)
{
    public const int MaxPerScope = 20;

    public async Task<IReadOnlyList<WebhookDto>> ListAsync(ClaimsPrincipal caller, Guid? projectId, CancellationToken ct)
    {
        await RequireScopeAsync(caller, projectId, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var hooks = await db.Webhooks().AsNoTracking().Where(w => w.ProjectId == projectId).OrderBy(w => w.CreatedAt).ToListAsync(ct);
        var ids = hooks.Select(h => h.Id).ToList();
        // The newest delivery of each webhook in one query.
        var last = (await db.WebhookDeliveries().AsNoTracking().Where(d => ids.Contains(d.WebhookId))
                .GroupBy(d => d.WebhookId).Select(g => g.OrderByDescending(d => d.CreatedAt).First()).ToListAsync(ct))
            .ToDictionary(d => d.WebhookId);
        var people = await EmailsAsync(db, hooks.Select(h => h.CreatedById), ct);
        return [.. hooks.Select(h => ToDto(h, people, last.GetValueOrDefault(h.Id)))];
    }

    public async Task<CreatedWebhookDto> CreateAsync(ClaimsPrincipal caller, Guid? projectId, CreateWebhookRequest request, CancellationToken ct)
    {
        await RequireScopeAsync(caller, projectId, ct);
        var uri = await WebhookTargets.ValidateAsync(request.Url, options.Value.AllowPrivateTargets, ct);
        if (uri.AbsoluteUri.Length > WebhookTargets.MaxUrlLength)
        {
            throw ValidationFailedException.For("url", $"At most {WebhookTargets.MaxUrlLength} characters once escaped.");
        }
        var events = (request.Events ?? []).Select(e => e?.Trim() ?? "").Distinct().ToList();
        if (events.FirstOrDefault(e => !WebhookEvents.All.Contains(e)) is { } unknown)
        {
            throw ValidationFailedException.For("events", $"Unknown event '{unknown}'. Known: {string.Join(", ", WebhookEvents.All)}.");
        }
        if (!Enum.IsDefined(request.Format))
        {
            throw ValidationFailedException.For("format", "Json, Slack or Teams.");
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Webhooks().CountAsync(w => w.ProjectId == projectId, ct) >= MaxPerScope)
        {
            throw new ConflictException($"At most {MaxPerScope} webhooks per {(projectId is null ? "installation" : "project")}; delete one first.");
        }
        var secret = WebhookBodies.NewSecret();
        var hook = new Webhook
        {
            ProjectId = projectId, Url = uri.AbsoluteUri, Format = request.Format, Events = string.Join(',', events),
            ProtectedSecret = protection.CreateProtector(WebhookDispatcher.SecretPurpose).Protect(secret),
            CreatedById = caller.UserId(), CreatedAt = clock.GetUtcNow(),
        };
        db.Webhooks().Add(hook);
        await db.SaveChangesAsync(ct);
        return new CreatedWebhookDto(ToDto(hook, await EmailsAsync(db, [hook.CreatedById], ct), null), secret);
    }

    public async Task DeleteAsync(ClaimsPrincipal caller, Guid webhookId, CancellationToken ct)
    {
        var hook = await RequireHookAsync(caller, webhookId, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Webhooks().Where(w => w.Id == hook.Id).ExecuteDeleteAsync(ct);
    }

    public async Task<WebhookDeliveryDto> PingAsync(ClaimsPrincipal caller, Guid webhookId, CancellationToken ct)
    {
        var hook = await RequireHookAsync(caller, webhookId, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return (await outbox.PingAsync(db, hook, caller.Identity?.Name ?? caller.UserId(), ct)).ToDto();
    }

    public async Task<IReadOnlyList<WebhookDeliveryDto>> DeliveriesAsync(ClaimsPrincipal caller, Guid webhookId, int take, CancellationToken ct)
    {
        var hook = await RequireHookAsync(caller, webhookId, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return [.. (await db.WebhookDeliveries().AsNoTracking().Where(d => d.WebhookId == hook.Id).OrderByDescending(d => d.CreatedAt)
            .Take(Math.Clamp(take, 1, 200)).ToListAsync(ct)).Select(d => d.ToDto())];
    }

    public async Task<WebhookDeliveryDto> RedeliverAsync(ClaimsPrincipal caller, Guid deliveryId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var original = await db.WebhookDeliveries().AsNoTracking().SingleOrDefaultAsync(d => d.Id == deliveryId, ct)
            ?? throw new NotFoundException($"Delivery {deliveryId} does not exist.");
        await RequireHookAsync(caller, original.WebhookId, ct);
        return (await outbox.RedeliverAsync(db, original, ct)).ToDto();
    }

    /// <summary>Global webhooks are the Admins'; a project's are its Owners' (and Admins').</summary>
    private async Task RequireScopeAsync(ClaimsPrincipal caller, Guid? projectId, CancellationToken ct)
    {
        if (projectId is { } id)
        {
            await projects.RequireAsync(caller, id, a => a.CanManage, ct);
        }
        else if (!caller.IsAdmin())
        {
            throw new ForbiddenException("Only an Admin manages global webhooks.");
        }
    }

    private async Task<Webhook> RequireHookAsync(ClaimsPrincipal caller, Guid webhookId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var hook = await db.Webhooks().AsNoTracking().SingleOrDefaultAsync(w => w.Id == webhookId, ct)
            ?? throw new NotFoundException($"Webhook {webhookId} does not exist.");
        await RequireScopeAsync(caller, hook.ProjectId, ct);
        return hook;
    }

    private static async Task<Dictionary<string, string>> EmailsAsync(AppDbContext db, IEnumerable<string> ids, CancellationToken ct)
    {
        var wanted = ids.Distinct().ToList();
        return await db.Users.Where(u => wanted.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.Email ?? u.Id, ct);
    }

    private static WebhookDto ToDto(Webhook h, IReadOnlyDictionary<string, string> people, WebhookDelivery? last) =>
        new(h.Id, h.ProjectId, h.Url, h.Format, h.EventList, h.Enabled, h.CreatedAt, people.GetValueOrDefault(h.CreatedById, h.CreatedById), last?.ToDto());
}
