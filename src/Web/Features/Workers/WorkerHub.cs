using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using TransferHub.Shared.Experiments;
using TransferHub.Shared.Training;
using TransferHub.Web.Features.Identity;

namespace TransferHub.Web.Features.Workers;

/// <summary>
/// The worker hub (worker tokens only): a remote worker registers once per connection, then claims,
/// heartbeats, reports epochs and finishes runs through the same <see cref="WorkerControl"/> as the in-process worker.
/// </summary>
[Authorize(Policy = AuthorizationPolicies.Worker)]
public sealed class WorkerHub(WorkerControl control) : Hub
{
    public const string WorkersGroup = "workers";
    private const string WorkerKey = "worker-id";

    private string WorkerId => Context.Items[WorkerKey] as string
        ?? throw new HubException($"Call {WorkerHubContract.Register} first.");

    public async Task<WorkerWelcome> Register(WorkerHello hello)
    {
        var principal = Context.User?.FindFirstValue(ClaimTypes.NameIdentifier);
        var kind = principal == EmbeddedWorkerSecret.PrincipalId ? WorkerControl.EmbeddedKind : WorkerControl.RemoteKind;
        var welcome = await control.RegisterAsync(hello, kind, Context.ConnectionId, principal, Context.ConnectionAborted);
        Context.Items[WorkerKey] = hello.WorkerId;
        await Groups.AddToGroupAsync(Context.ConnectionId, WorkersGroup, Context.ConnectionAborted);
        return welcome;
    }

    public Task<ClaimedRun?> Claim() => control.ClaimAsync(WorkerId, Context.ConnectionAborted);

    public Task<HeartbeatReply> Heartbeat(Guid runId) => control.HeartbeatAsync(WorkerId, runId, Context.ConnectionAborted);

    public async Task<bool> ReportEpoch(EpochReport report)
    {
        await control.RecordEpochAsync(WorkerId, report.RunId, report.Metrics, Context.ConnectionAborted);
        return true;
    }

    public async Task<bool> ReportSteps(StepBatch batch)
    {
        await control.RecordStepsAsync(WorkerId, batch.RunId, batch.Steps, Context.ConnectionAborted);
        return true;
    }

    public async Task<bool> Complete(Guid runId, TrainingResult result)
    {
        await control.CompleteAsync(WorkerId, runId, result, Context.ConnectionAborted);
        return true;
    }

    public async Task<bool> Fail(Guid runId, string error, bool retry)
    {
        await control.FailAsync(WorkerId, runId, error, retry, Context.ConnectionAborted);
        return true;
    }

    public Task<bool> Release(Guid runId) => control.ReleaseAsync(WorkerId, runId, Context.ConnectionAborted);

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        if (Context.Items[WorkerKey] is string id)
        {
            // Its runs keep their leases: a worker that reconnects in time carries on, one that does not is replaced.
            await control.DisconnectedAsync(id, Context.ConnectionId, CancellationToken.None);
        }
        await base.OnDisconnectedAsync(exception);
    }
}

/// <summary>Wakes idle remote workers when runs are queued, instead of waiting for their next poll.</summary>
internal sealed class WorkAvailableNotifier(Experiments.JobQueue queue, IHubContext<WorkerHub> hub) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        queue.WorkQueued += OnWorkQueued;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        queue.WorkQueued -= OnWorkQueued;
        return Task.CompletedTask;
    }

    private void OnWorkQueued(object? sender, EventArgs e) =>
        _ = hub.Clients.Group(WorkerHub.WorkersGroup).SendAsync(WorkerHubContract.WorkAvailable);
}
