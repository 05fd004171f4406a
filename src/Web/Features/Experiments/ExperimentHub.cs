using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using TransferHub.Shared.Experiments;
using TransferHub.Web.Features.Identity;

namespace TransferHub.Web.Features.Experiments;

/// <summary>Live experiment progress for external SignalR clients; the portal's pages get the same through <see cref="ExperimentEvents"/>.</summary>
[Authorize(Policy = AuthorizationPolicies.Person)]
public sealed class ExperimentHub(ExperimentService experiments) : Hub
{
    public static string Group(Guid experimentId) => $"experiment:{experimentId:N}";

    public async Task Watch(Guid experimentId)
    {
        // Throws not-found / forbidden (as a HubException) before the caller joins anything.
        await experiments.GetAsync(Context.User!, experimentId, Context.ConnectionAborted);
        await Groups.AddToGroupAsync(Context.ConnectionId, Group(experimentId), Context.ConnectionAborted);
    }

    public Task Unwatch(Guid experimentId) => Groups.RemoveFromGroupAsync(Context.ConnectionId, Group(experimentId), Context.ConnectionAborted);
}
