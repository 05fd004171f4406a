using Microsoft.EntityFrameworkCore;
using TransferHub.Shared.Identity;
using TransferHub.Web.Data;

namespace TransferHub.Web.Features.Security;

/// <summary>
/// Sign-ins, failed sign-ins, lockouts, account and role changes, token creation and revocation: what an admin looks at
/// after "someone got in". Append-only; visible to Admins (<c>GET /api/admin/security-log</c>, Admin → Security log).
/// </summary>
public sealed partial class SecurityLog(IDbContextFactory<AppDbContext> dbFactory, TimeProvider clock, ILogger<SecurityLog> logger)
{
    public const int MaxTake = 1000;

    /// <summary>Adds a line; a failure to write is logged and never fails what it records (a sign-in stays a sign-in).</summary>
    public async Task RecordAsync(SecurityEventKind kind, string? actorId, string? subjectId, string subject, string? address, string detail,
        CancellationToken ct)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            db.Set<SecurityEvent>().Add(new SecurityEvent
            {
                At = clock.GetUtcNow(), Kind = kind, ActorId = actorId, SubjectId = subjectId, Subject = Clip(subject, 256),
                Address = address is null ? null : Clip(address, 64), Detail = Clip(detail, 1000),
            });
            await db.SaveChangesAsync(ct);
        }
        catch (Exception e) when (e is DbUpdateException or InvalidOperationException)
        {
            LogWriteFailed(logger, kind, e);
        }
        LogEvent(logger, kind, subject, address);
    }

    /// <summary>The newest lines first, optionally of one kind.</summary>
    public async Task<IReadOnlyList<SecurityEventDto>> ListAsync(SecurityEventKind? kind, int take, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Set<SecurityEvent>().AsNoTracking();
        if (kind is { } k)
        {
            query = query.Where(e => e.Kind == k);
        }
        var events = await query.OrderByDescending(e => e.Sequence).Take(Math.Clamp(take, 1, MaxTake)).ToListAsync(ct);
        var ids = events.Select(e => e.ActorId).OfType<string>().Distinct().ToList();
        var names = await db.Users.AsNoTracking().Where(u => ids.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.Email ?? u.Id, ct);
        return [.. events.Select(e => new SecurityEventDto(e.Sequence, e.At, e.Kind, e.ActorId,
            e.ActorId is null ? null : names.GetValueOrDefault(e.ActorId, e.ActorId), e.SubjectId, e.Subject, e.Address, e.Detail))];
    }

    private static string Clip(string value, int length) => value.Length <= length ? value : value[..length];

    [LoggerMessage(Level = LogLevel.Information, Message = "Security: {Kind} {Subject} from {Address}.")]
    private static partial void LogEvent(ILogger logger, SecurityEventKind kind, string subject, string? address);

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing a {Kind} line to the security log failed.")]
    private static partial void LogWriteFailed(ILogger logger, SecurityEventKind kind, Exception e);
}
