using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using StackExchange.Redis;
using TransferHub.Shared.Datasets;
using TransferHub.Shared.Experiments;
using TransferHub.Shared.Notifications;
using TransferHub.Web.Features.Datasets;
using TransferHub.Web.Features.Experiments;
using TransferHub.Web.Features.Labeling;
using TransferHub.Web.Features.Notifications;

namespace TransferHub.Web.Infrastructure;

/// <summary>
/// With several web nodes, experiment and dataset events, labeling presence and notifications go through Redis
/// pub/sub: a worker reporting to node A refreshes the pages open on node B, and so do a label submitted, a labeling
/// page opened and a notification posted on A. If Redis cannot be reached, events stay on this node (logged) rather
/// than being lost here too.
/// </summary>
internal sealed partial class RedisEventRelay(IConnectionMultiplexer redis, ExperimentEvents events, DatasetEvents datasets,
    NotificationService notifications, LabelingPresence presence, ILogger<RedisEventRelay> logger)
    : IHostedService, IExperimentEventRelay, IDatasetEventRelay, INotificationRelay
{
    private static readonly RedisChannel Changed = RedisChannel.Literal("transferhub:experiment-changed");
    private static readonly RedisChannel Steps = RedisChannel.Literal("transferhub:experiment-steps");
    private static readonly RedisChannel Datasets = RedisChannel.Literal("transferhub:dataset-events");
    private static readonly RedisChannel Notifications = RedisChannel.Literal("transferhub:notifications");

    private sealed record StepMessage(Guid ExperimentId, StepBatch Batch);

    /// <summary>A dataset event on the wire; <paramref name="Node"/> lets the sender skip its own message.</summary>
    private sealed record DatasetMessage(Guid Node, string Kind, Guid DatasetId, string? UserId = null, ImportDto? Import = null,
        IReadOnlyList<Annotator>? Present = null);

    private sealed record NotificationMessage(Guid Node, string UserId, NotificationDto Notification);

    private readonly Guid _node = Guid.NewGuid();

    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Never blocks or fails the start: while Redis is away the node runs on its own and subscribes once it is back.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = SubscribeWhenReachableAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    private async Task SubscribeWhenReachableAsync(CancellationToken ct)
    {
        var subscriber = redis.GetSubscriber();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await subscriber.SubscribeAsync(Changed, (channel, value) => _ = events.PublishHereAsync(Guid.Parse(value.ToString())));
                await subscriber.SubscribeAsync(Steps, (channel, value) =>
                {
                    var message = JsonSerializer.Deserialize<StepMessage>(value.ToString(), WireJson.Options)!;
                    _ = events.PublishStepsHereAsync(message.ExperimentId, message.Batch);
                });
                await subscriber.SubscribeAsync(Datasets, (channel, value) =>
                {
                    var message = JsonSerializer.Deserialize<DatasetMessage>(value.ToString(), WireJson.Options)!;
                    if (message.Node == _node || FromMessage(message) is not { } e)
                    {
                        return;
                    }
                    // A presence snapshot re-renders pages only when it changes who is shown (snapshots also come as heartbeats).
                    if (message.Present is null || presence.ApplyRemote(message.Node, message.DatasetId, message.Present))
                    {
                        _ = datasets.PublishFromOtherNodeAsync(e);
                    }
                });
                await subscriber.SubscribeAsync(Notifications, (channel, value) =>
                {
                    var message = JsonSerializer.Deserialize<NotificationMessage>(value.ToString(), WireJson.Options)!;
                    if (message.Node != _node)
                    {
                        _ = notifications.PublishFromOtherNodeAsync(message.UserId, message.Notification);
                    }
                });
                events.Relay = this; // from now on publishes go through Redis (subscriptions come back with reconnects)
                datasets.Relay = this;
                notifications.Relay = this;
                _ = SnapshotPresenceAsync(ct);
                return;
            }
            catch (RedisException e)
            {
                LogRedisDown(logger, e.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(2), ct);
                }
                catch (OperationCanceledException)
                {
                    return; // shutting down
                }
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        events.Relay = null;
        datasets.Relay = null;
        notifications.Relay = null;
        await _stopping.CancelAsync();
    }

    public Task ChangedAsync(Guid experimentId) => SendAsync(Changed, experimentId.ToString(), () => events.PublishHereAsync(experimentId));

    public Task StepsAsync(Guid experimentId, StepBatch batch) =>
        SendAsync(Steps, JsonSerializer.Serialize(new StepMessage(experimentId, batch), WireJson.Options), () => events.PublishStepsHereAsync(experimentId, batch));

    /// <summary>This node's subscribers already heard it; the other nodes' pages hear it through Redis (or not, while it is away).</summary>
    public Task PublishAsync(DatasetEvent e) => SendToOtherNodesAsync(Datasets, e switch
    {
        ImportProgressed i => new DatasetMessage(_node, "import", e.DatasetId, Import: i.Import),
        LabelsChanged l => new DatasetMessage(_node, "labels", e.DatasetId, l.UserId),
        _ => PresenceMessage(e.DatasetId),
    });

    private DatasetMessage PresenceMessage(Guid datasetId) => new(_node, "presence", datasetId, Present: presence.Local(datasetId));

    /// <summary>This node's annotators, re-sent regularly: the other nodes forget a node they stop hearing from (a crash).</summary>
    private async Task SnapshotPresenceAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(LabelingPresence.SnapshotInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                foreach (var datasetId in presence.LocalDatasets())
                {
                    await SendToOtherNodesAsync(Datasets, PresenceMessage(datasetId));
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    public Task PublishAsync(string userId, NotificationDto notification) =>
        SendToOtherNodesAsync(Notifications, new NotificationMessage(_node, userId, notification));

    /// <summary>For messages this node has already delivered itself: while Redis is away, the other nodes miss them.</summary>
    private Task SendToOtherNodesAsync<T>(RedisChannel channel, T message) =>
        SendAsync(channel, JsonSerializer.Serialize(message, WireJson.Options), () => Task.CompletedTask);

    private static DatasetEvent? FromMessage(DatasetMessage m) => m.Kind switch
    {
        "import" when m.Import is not null => new ImportProgressed(m.DatasetId, m.Import),
        "labels" => new LabelsChanged(m.DatasetId, m.UserId ?? ""),
        "presence" => new PresenceChanged(m.DatasetId),
        _ => null,
    };

    private async Task SendAsync(RedisChannel channel, string message, Func<Task> here)
    {
        try
        {
            await redis.GetSubscriber().PublishAsync(channel, message);
        }
        catch (RedisException e)
        {
            LogRedisDown(logger, e.Message);
            await here();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis unreachable, events stay on this node: {Error}")]
    private static partial void LogRedisDown(ILogger logger, string error);
}

/// <summary>Several web nodes: the SignalR Redis backplane and the experiment event relay, when <c>Redis:ConnectionString</c> is set.</summary>
internal static class ScaleOutExtensions
{
    public static void AddScaleOut(this ISignalRServerBuilder signalR, IServiceCollection services, IConfiguration configuration)
    {
        var connection = configuration["Redis:ConnectionString"];
        if (string.IsNullOrWhiteSpace(connection))
        {
            return;
        }
        var options = ConfigurationOptions.Parse(connection);
        options.AbortOnConnectFail = false; // start even while Redis is down; reconnect when it is back
        signalR.AddStackExchangeRedis(o =>
        {
            o.Configuration = options.Clone();
            o.Configuration.ChannelPrefix = RedisChannel.Literal("transferhub");
        });
        services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(options));
        services.AddHostedService<RedisEventRelay>();
        services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis");
    }
}

/// <summary>
/// Degraded, not unhealthy, while Redis is away: this node still serves everything, only events from other nodes
/// stop reaching its pages (an orchestrator should not restart it for that). Healthy again once Redis is back.
/// </summary>
internal sealed class RedisHealthCheck(IConnectionMultiplexer redis) : Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
{
    public Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
        Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(redis.IsConnected
            ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy("Redis connected.")
            : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Degraded("Redis unreachable: hubs and experiment events reach this node's clients only until it is back."));
}
