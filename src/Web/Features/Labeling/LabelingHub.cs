using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using TransferHub.Shared.Datasets;
using TransferHub.Web.Features.Datasets;
using TransferHub.Web.Features.Identity;

namespace TransferHub.Web.Features.Labeling;

/// <summary>
/// Labeling over SignalR for non-browser clients (scripts, other tools, the load benchmark): the same
/// queue, reservations and presence as the portal. A disconnect releases the connection's reservations
/// and ends its presence, as closing the labeling page does.
/// </summary>
[Authorize(Policy = AuthorizationPolicies.Person)]
public sealed class LabelingHub(LabelingService labeling, DatasetService datasets, LabelingPresence presence) : Hub
{
    private const string StateKey = "labeling-state";

    public static string Group(Guid datasetId) => $"dataset:{datasetId:N}";

    private sealed class ConnectionState
    {
        public readonly Dictionary<Guid, Guid> Joined = [];
        public readonly HashSet<Guid> Held = [];
    }

    private ConnectionState State => (ConnectionState)(Context.Items[StateKey] ??= new ConnectionState());

    public async Task Join(Guid datasetId)
    {
        await datasets.RequireAsync(Context.User!, datasetId, a => a.CanRead, Context.ConnectionAborted);
        if (State.Joined.ContainsKey(datasetId))
        {
            return;
        }
        await Groups.AddToGroupAsync(Context.ConnectionId, Group(datasetId), Context.ConnectionAborted);
        var session = await presence.JoinAsync(datasetId, Context.User!.UserId(), Context.User!.Identity?.Name ?? "someone");
        State.Joined[datasetId] = session;
    }

    public async Task Leave(Guid datasetId)
    {
        if (State.Joined.Remove(datasetId, out var session))
        {
            await Groups.RemoveFromGroupAsync(Context.ConnectionId, Group(datasetId));
            await presence.LeaveAsync(datasetId, session);
        }
    }

    public Task<HubItem?> Next(Guid datasetId, Guid[]? exclude) => NextInOrder(datasetId, nameof(QueueOrder.Sequential), exclude);

    /// <summary>The next item in an order: Sequential, Random or LeastConfident (a model's least sure items first).</summary>
    public async Task<HubItem?> NextInOrder(Guid datasetId, string order, Guid[]? exclude)
    {
        if (!Enum.TryParse<QueueOrder>(order, ignoreCase: true, out var parsed))
        {
            throw new HubException($"Orders: {string.Join(", ", Enum.GetNames<QueueOrder>())}.");
        }
        var item = await labeling.NextAsync(Context.User!, datasetId, parsed, exclude ?? [], Context.ConnectionAborted);
        if (item is null)
        {
            return null;
        }
        State.Held.Add(item.Item.Id);
        return new HubItem(item.Item, item.MyLabelIds, item.Suggestion);
    }

    public async Task<HubSubmitResult> Submit(Guid itemId, string[] labels, int? durationMs)
    {
        var result = await labeling.SubmitAsync(Context.User!, itemId, labels, durationMs, Context.ConnectionAborted);
        State.Held.Remove(itemId);
        return new HubSubmitResult(result.ItemId, result.Changed, result.FinalLabels, result.NeedsReview);
    }

    public async Task Release(Guid[] itemIds)
    {
        await labeling.ReleaseAsync(Context.User!.UserId(), itemIds, Context.ConnectionAborted);
        State.Held.ExceptWith(itemIds);
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        var state = State;
        // Items first, presence second: whoever sees the presence change can already take the items.
        if (state.Held.Count > 0)
        {
            await labeling.ReleaseAsync(Context.User!.UserId(), [.. state.Held], CancellationToken.None);
        }
        foreach (var datasetId in state.Joined.Keys.ToList())
        {
            await Leave(datasetId);
        }
        await base.OnDisconnectedAsync(exception);
    }
}
