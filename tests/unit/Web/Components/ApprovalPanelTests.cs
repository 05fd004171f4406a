using Bunit;
using TransferHub.Shared.Registry;
using TransferHub.Web.Components.Pages.Registry;

namespace TransferHub.Tests.Unit.Web.Components;

public sealed class ApprovalPanelTests : MudComponentTest
{
    private static ApprovalDto Pending(bool passed) => new(Guid.NewGuid(), Guid.NewGuid(), "m", Guid.NewGuid(), 3, ApprovalStatus.Pending,
        "sci@example.test", "ready", DateTimeOffset.UnixEpoch, null,
        [new PolicyCheck("test metric", passed ? PolicyOutcome.Passed : PolicyOutcome.Failed, "Test macro-F1 0.910 against a threshold of 0.800."), new PolicyCheck("annotator agreement", PolicyOutcome.NotApplicable, "No threshold.")],
        passed, null, null, null);

    [Fact]
    public void AnApproverSeesTheEvidenceAndDecides()
    {
        (ApprovalDto, bool, string?)? decided = null;
        var request = Pending(passed: true);
        var cut = Render<ApprovalPanel>(p => p
            .Add(a => a.Approvals, [request]).Add(a => a.CanApprove, true).Add(a => a.Me, "approver@example.test")
            .Add(a => a.OnDecide, ((ApprovalDto, bool, string?) d) => decided = d));

        cut.Markup.ShouldContain("Test macro-F1 0.910 against a threshold of 0.800.");
        cut.FindAll("button").Single(b => b.TextContent.Contains("Approve")).Click();

        decided.ShouldNotBeNull();
        decided.Value.Item1.ShouldBe(request);
        decided.Value.Item2.ShouldBeTrue();
    }

    [Fact]
    public void TheRequesterAndNonApproversGetNoButtons()
    {
        var own = Render<ApprovalPanel>(p => p.Add(a => a.Approvals, [Pending(true)]).Add(a => a.CanApprove, true).Add(a => a.Me, "sci@example.test"));
        var viewer = Render<ApprovalPanel>(p => p.Add(a => a.Approvals, [Pending(true)]).Add(a => a.CanApprove, false).Add(a => a.Me, "viewer@example.test"));

        own.FindAll("button").ShouldBeEmpty();
        own.Markup.ShouldContain("Waiting for an Approver other than the requester.");
        viewer.FindAll("button").ShouldBeEmpty();
    }
}
