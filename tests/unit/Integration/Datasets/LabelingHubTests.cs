using Microsoft.AspNetCore.SignalR;
using System.Net.Http.Json;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using TransferHub.Shared.Datasets;

namespace TransferHub.Tests.Unit.Integration.Datasets;

public sealed class LabelingHubTests(TransferHubFactory factory) : IClassFixture<TransferHubFactory>
{
    private HubConnection Connect(HttpClient client) => new HubConnectionBuilder()
        .WithUrl(new Uri(factory.Server.BaseAddress, LabelingHubContract.Route), o =>
        {
            o.HttpMessageHandlerFactory = _ => factory.Server.CreateHandler();
            o.Transports = HttpTransportType.LongPolling;
            o.AccessTokenProvider = () => Task.FromResult(client.DefaultRequestHeaders.Authorization?.Parameter);
        })
        .Build();

    [Fact]
    public async Task AnnotatorsLabelThroughTheHubAndSeeProgressAndPresence()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Text, LabelTask.SingleLabel, 0, "yes", "no");
        await s.ImportAsync(dataset.Id, [("a.txt", Encoding.UTF8.GetBytes("one\ntwo\nthree"))]);
        await using var a = Connect(s.LabelerA);
        await using var b = Connect(s.LabelerB);
        var progress = Channel.CreateUnbounded<LabelingProgressMessage>();
        var presence = Channel.CreateUnbounded<LabelingPresenceMessage>();
        a.On<LabelingProgressMessage>("Progress", m => progress.Writer.TryWrite(m));
        a.On<LabelingPresenceMessage>("Presence", m => presence.Writer.TryWrite(m));
        await a.StartAsync();
        await b.StartAsync();

        await a.InvokeAsync("Join", dataset.Id);
        await b.InvokeAsync("Join", dataset.Id);
        var seen = await ReadUntilAsync(presence, m => m.Annotators.Count == 2);
        var itemA = await a.InvokeAsync<HubItem?>("Next", dataset.Id, Array.Empty<Guid>());
        var itemB = await b.InvokeAsync<HubItem?>("Next", dataset.Id, Array.Empty<Guid>());
        var result = await a.InvokeAsync<HubSubmitResult>("Submit", itemA!.Item.Id, new[] { "yes" }, 900);
        var update = await ReadUntilAsync(progress, m => m.Labeled == 1);

        seen.Annotators.Count.ShouldBe(2);
        itemB!.Item.Id.ShouldNotBe(itemA.Item.Id);
        result.FinalLabels.ShouldBe(["yes"]);
        update.ShouldBe(new LabelingProgressMessage(dataset.Id, 3, 1));
    }

    [Fact]
    public async Task ADroppedConnectionGivesItsItemsBack()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Text, LabelTask.SingleLabel, 0, "yes");
        await s.ImportAsync(dataset.Id, [("a.txt", "only one"u8.ToArray())]);
        var b = Connect(s.LabelerB);
        await b.StartAsync();
        await b.InvokeAsync("Join", dataset.Id);
        var held = await b.InvokeAsync<HubItem?>("Next", dataset.Id, Array.Empty<Guid>());
        await using var a = Connect(s.LabelerA);
        var presence = Channel.CreateUnbounded<LabelingPresenceMessage>();
        a.On<LabelingPresenceMessage>("Presence", m => presence.Writer.TryWrite(m));
        await a.StartAsync();
        await a.InvokeAsync("Join", dataset.Id);
        await ReadUntilAsync(presence, m => m.Annotators.Count == 2);
        (await a.InvokeAsync<HubItem?>("Next", dataset.Id, Array.Empty<Guid>())).ShouldBeNull();

        await b.DisposeAsync();
        await ReadUntilAsync(presence, m => m.Annotators.Count == 1); // B's disconnect was handled
        var item = await a.InvokeAsync<HubItem?>("Next", dataset.Id, Array.Empty<Guid>());

        item!.Item.Id.ShouldBe(held!.Item.Id);
    }

    private static async Task<T> ReadUntilAsync<T>(Channel<T> channel, Func<T, bool> match)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (true)
        {
            var message = await channel.Reader.ReadAsync(timeout.Token);
            if (match(message))
            {
                return message;
            }
        }
    }

    [Fact]
    public async Task OutsiderCannotJoinAndAnonymousCannotConnect()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Text, LabelTask.SingleLabel, 0, "yes");
        await using var outsider = Connect(s.Outsider);
        await outsider.StartAsync();
        await using var anonymous = Connect(new HttpClient());

        var join = await Should.ThrowAsync<HubException>(() => outsider.InvokeAsync("Join", dataset.Id));
        await Should.ThrowAsync<HttpRequestException>(() => anonymous.StartAsync());

        join.Message.ShouldContain("not a member");
    }
}
