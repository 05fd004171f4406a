using System.Collections.Concurrent;
using TransferHub.Web.Features.Datasets;

namespace TransferHub.Web.Features.Labeling;

/// <summary>Someone with a labeling page open on a dataset.</summary>
public sealed record Annotator(string UserId, string Name, DateTimeOffset Since);

/// <summary>
/// Who is labeling which dataset right now: each open labeling page joins on open and leaves on close
/// (a closed tab ends its circuit, which leaves). With several web nodes, each node also holds what the others last
/// said of a dataset (their snapshots arrive through the Redis relay on every change and every
/// <see cref="SnapshotInterval"/>); a node not heard from for <see cref="RemoteExpiry"/> is forgotten, so a crashed
/// node's annotators disappear.
/// </summary>
public sealed class LabelingPresence(DatasetEvents events, TimeProvider clock)
{
    public static readonly TimeSpan SnapshotInterval = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan RemoteExpiry = TimeSpan.FromSeconds(90);

    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<Guid, Annotator>> _sessions = new();
    private readonly ConcurrentDictionary<(Guid Node, Guid Dataset), RemoteSnapshot> _remote = new();

    private sealed record RemoteSnapshot(IReadOnlyList<Annotator> Annotators, DateTimeOffset HeardAt);

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

    /// <summary>Distinct people labeling the dataset now, on any node, earliest first.</summary>
    public IReadOnlyList<Annotator> Who(Guid datasetId)
    {
        var heardSince = clock.GetUtcNow() - RemoteExpiry;
        var remote = _remote.Where(r => r.Key.Dataset == datasetId && r.Value.HeardAt >= heardSince).SelectMany(r => r.Value.Annotators);
        return [.. Local(datasetId).Concat(remote).GroupBy(a => a.UserId).Select(g => g.MinBy(a => a.Since)!).OrderBy(a => a.Since)];
    }

    /// <summary>This node's own annotators of a dataset (what it tells the other nodes).</summary>
    public IReadOnlyList<Annotator> Local(Guid datasetId) =>
        _sessions.TryGetValue(datasetId, out var sessions) ? [.. sessions.Values] : [];

    /// <summary>The datasets this node has annotators on, for the periodic snapshot.</summary>
    public IReadOnlyList<Guid> LocalDatasets() => [.. _sessions.Where(s => !s.Value.IsEmpty).Select(s => s.Key)];

    /// <summary>Another node's annotators of a dataset; returns whether that changed what this node shows.</summary>
    public bool ApplyRemote(Guid node, Guid datasetId, IReadOnlyList<Annotator> annotators)
    {
        var before = Who(datasetId);
        _remote[(node, datasetId)] = new RemoteSnapshot(annotators, clock.GetUtcNow());
        return !before.SequenceEqual(Who(datasetId));
    }
}
