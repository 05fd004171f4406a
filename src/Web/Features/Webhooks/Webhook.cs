using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TransferHub.Shared.Webhooks;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Projects;

namespace TransferHub.Web.Features.Webhooks;

/// <summary>A URL subscribed to a project's events (or, with no project, to every project's: Admins only).</summary>
public sealed class Webhook
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid? ProjectId { get; set; }
    public required string Url { get; set; }
    public WebhookFormat Format { get; set; }
    /// <summary>Subscribed event names, comma-separated; empty for every event.</summary>
    public string Events { get; set; } = "";
    /// <summary>The signing secret, encrypted with the app's data-protection keys (it must be read back to sign).</summary>
    public required string ProtectedSecret { get; set; }
    public bool Enabled { get; set; } = true;
    public required string CreatedById { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    public IReadOnlyList<string> EventList => Events.Length == 0 ? [] : Events.Split(',');

    public bool Wants(string @event) => Events.Length == 0 || EventList.Contains(@event);
}

/// <summary>
/// One event for one webhook: the outbox row a dispatcher claims, sends, and retries with backoff. Written before any
/// try, so a restart loses nothing; kept afterwards as the delivery log.
/// </summary>
public sealed class WebhookDelivery
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WebhookId { get; set; }
    /// <summary>The event's id: the same for every webhook it went to and for a redelivery, so receivers can deduplicate.</summary>
    public Guid EventId { get; set; }
    public required string Event { get; set; }
    /// <summary>The <see cref="WebhookPayload"/> as JSON; Slack and Teams bodies are written from it at send time.</summary>
    public required string Payload { get; set; }
    public WebhookDeliveryStatus Status { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    /// <summary>Set while one node sends it, so two dispatchers never send the same try.</summary>
    public DateTimeOffset? LeaseUntil { get; set; }
    public int? LastStatusCode { get; set; }
    public string? LastError { get; set; }
    public double? LastDurationMs { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? DeliveredAt { get; set; }

    public WebhookDeliveryDto ToDto() => new(Id, WebhookId, Event, Status, Attempts, LastStatusCode, LastError, LastDurationMs, CreatedAt, DeliveredAt,
        Status == WebhookDeliveryStatus.Pending ? NextAttemptAt : null);
}

internal sealed class WebhookConfiguration : IEntityTypeConfiguration<Webhook>
{
    public void Configure(EntityTypeBuilder<Webhook> builder)
    {
        builder.Property(w => w.Url).HasMaxLength(WebhookTargets.MaxUrlLength);
        builder.Property(w => w.Format).HasConversion<string>().HasMaxLength(16);
        builder.Property(w => w.Events).HasMaxLength(1000);
        builder.Property(w => w.ProtectedSecret).HasMaxLength(1000);
        builder.Property(w => w.CreatedById).HasMaxLength(450);
        builder.Ignore(w => w.EventList);
        builder.HasOne<Project>().WithMany().HasForeignKey(w => w.ProjectId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class WebhookDeliveryConfiguration : IEntityTypeConfiguration<WebhookDelivery>
{
    public void Configure(EntityTypeBuilder<WebhookDelivery> builder)
    {
        builder.Property(d => d.Event).HasMaxLength(64);
        builder.Property(d => d.Payload).HasMaxLength(64000);
        builder.Property(d => d.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(d => d.LastError).HasMaxLength(1000);
        builder.HasIndex(d => new { d.Status, d.NextAttemptAt });
        builder.HasIndex(d => new { d.WebhookId, d.CreatedAt });
        builder.HasOne<Webhook>().WithMany().HasForeignKey(d => d.WebhookId).OnDelete(DeleteBehavior.Cascade);
    }
}

public static class WebhookDbSets
{
    public static DbSet<Webhook> Webhooks(this AppDbContext db) => db.Set<Webhook>();

    public static DbSet<WebhookDelivery> WebhookDeliveries(this AppDbContext db) => db.Set<WebhookDelivery>();
}
