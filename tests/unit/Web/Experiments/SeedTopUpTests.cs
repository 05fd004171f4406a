using TransferHub.Shared.Experiments;
using TransferHub.Shared.Statistics;
using TransferHub.Shared.Training;
using TransferHub.Web.Features.Experiments;

namespace TransferHub.Tests.Unit.Web.Experiments;

public sealed class SeedTopUpTests
{
    [Fact]
    public void NothingIsAddedWhenEveryArmIsDecided()
    {
        SeedTopUp.Target([Arm("baseline", TransferVerdict.Reference), Arm("ft", TransferVerdict.Positive), Arm("frozen-random", TransferVerdict.Control),
            Arm("fe", TransferVerdict.Unreliable)], seeds: 3, maxSeeds: 10).ShouldBeNull();
    }

    [Fact]
    public void TheMostUndecidedArmSetsHowManySeedsWithinTheCap()
    {
        SeedTopUp.Target([Arm("ft", TransferVerdict.Inconclusive, 6), Arm("fe", TransferVerdict.Inconclusive, 5)], seeds: 3, maxSeeds: 10).ShouldBe(6);
        SeedTopUp.Target([Arm("ft", TransferVerdict.Inconclusive, 14)], seeds: 3, maxSeeds: 8).ShouldBe(8);
        // "Even 30 seeds would not decide" (no estimate): straight to the cap; a planner asking for no more still adds one.
        SeedTopUp.Target([Arm("ft", TransferVerdict.Inconclusive)], seeds: 3, maxSeeds: 7).ShouldBe(7);
        SeedTopUp.Target([Arm("ft", TransferVerdict.Inconclusive, 3)], seeds: 3, maxSeeds: 7).ShouldBe(4);
    }

    [Fact]
    public void NothingIsAddedOnceTheCapIsReached()
    {
        SeedTopUp.Target([Arm("ft", TransferVerdict.Inconclusive, 9)], seeds: 6, maxSeeds: 6).ShouldBeNull();
        SeedTopUp.Target([Arm("ft", TransferVerdict.Inconclusive, 9)], seeds: 3, maxSeeds: 0).ShouldBeNull();
    }

    private static ArmResultDto Arm(string name, TransferVerdict verdict, int? seedsToDecide = null) =>
        new(name, TrainingStrategy.FineTune, 3, 0.5, 0.4, 0.6, 0.01, -0.05, 0.07, verdict, TransferVerdicts.Describe(verdict), SeedsToDecide: seedsToDecide);
}
