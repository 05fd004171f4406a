using System.Collections.Concurrent;
using TransferHub.Web.Features.Datasets;

namespace TransferHub.Web.Features.Labeling;

/// <summary>Someone with a labeling page open on a dataset.</summary>
public sealed record Annotator(string UserId, string Name, DateTimeOffset Since);

/// <summary>
/// Who is labeling which dataset right now: each open labeling page joins on open and leaves on close
/// (a closed tab ends its circuit, which leaves). Kept per web node; see the README on scale-out.
/// </summary>
public sealed class LabelingPresence(DatasetEvents events, TimeProvider clock)
{
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<Guid, Annotator>> _sessions = new();

    public async Task<Guid> JoinAsync(Guid datasetId, string userId, string name)
    {
        var session = Guid.NewGuid();
        _sessions.GetOrAdd(datasetId, _ => new())[session] = new Annotator(userId, name, clock.GetUtcNow());
        await events.PublishAsync(new PresenceChanged(datasetId));
        return session;
    }

    public async Task LeaveAsync(Guid datasetId, Guid session)
    {
        if (_sessions.TryGetValue(datasetId, out var sessions) && sessions.TryRemove(session, out _))
        {
            await events.PublishAsync(new PresenceChanged(datasetId));
        }
    }

    /// <summary>Distinct people labeling the dataset now, earliest first.</summary>
    public IReadOnlyList<Annotator> Who(Guid datasetId) =>
        _sessions.TryGetValue(datasetId, out var sessions)
            ? [.. sessions.Values.GroupBy(a => a.UserId).Select(g => g.MinBy(a => a.Since)!).OrderBy(a => a.Since)]
            : [];
}
