using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using TransferHub.Web.Features.Datasets;
using TransferHub.Web.Features.Labeling;

namespace TransferHub.Tests.Unit.Web.Labeling;

public sealed class PresenceAcrossNodesTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-11-22T12:00:00Z"));
    private readonly Guid _dataset = Guid.NewGuid();
    private readonly Guid _nodeB = Guid.NewGuid();

    private LabelingPresence NodeA() => new(new DatasetEvents(NullLogger<DatasetEvents>.Instance), _clock);

    [Fact]
    public async Task AnotherNodesAnnotatorsShowBesideOursAndLeaveWithItsNextSnapshot()
    {
        var presence = NodeA();
        await presence.JoinAsync(_dataset, "ann", "Ann");
        _clock.Advance(TimeSpan.FromSeconds(1));
        var bob = new Annotator("bob", "Bob", _clock.GetUtcNow());

        var joined = presence.ApplyRemote(_nodeB, _dataset, [bob]);
        var again = presence.ApplyRemote(_nodeB, _dataset, [bob]); // a heartbeat: nothing new to show
        var whileBoth = presence.Who(_dataset).Select(a => a.Name).ToList();
        var left = presence.ApplyRemote(_nodeB, _dataset, []);

        (joined, again, left).ShouldBe((true, false, true));
        whileBoth.ShouldBe(["Ann", "Bob"]);
        presence.Who(_dataset).Select(a => a.Name).ShouldBe(["Ann"]);
        presence.Local(_dataset).Select(a => a.Name).ShouldBe(["Ann"]); // what this node tells the others
    }

    [Fact]
    public void ANodeNotHeardFromForNinetySecondsIsForgotten()
    {
        var presence = NodeA();
        presence.ApplyRemote(_nodeB, _dataset, [new Annotator("bob", "Bob", _clock.GetUtcNow())]);

        _clock.Advance(LabelingPresence.RemoteExpiry - TimeSpan.FromSeconds(1));
        var beforeExpiry = presence.Who(_dataset).Count;
        _clock.Advance(TimeSpan.FromSeconds(2));

        beforeExpiry.ShouldBe(1);
        presence.Who(_dataset).ShouldBeEmpty();
    }

    [Fact]
    public async Task ThePersonOnTwoNodesCountsOnceFromTheirEarliestPage()
    {
        var presence = NodeA();
        var earlier = new Annotator("ann", "Ann", _clock.GetUtcNow());
        _clock.Advance(TimeSpan.FromMinutes(5));
        await presence.JoinAsync(_dataset, "ann", "Ann");

        presence.ApplyRemote(_nodeB, _dataset, [earlier]);

        presence.Who(_dataset).ShouldBe([earlier]);
    }
}
