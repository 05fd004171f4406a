using TransferHub.Shared.Experiments;
using TransferHub.Shared.Statistics;

namespace TransferHub.Web.Features.Experiments;

/// <summary>How many seeds an experiment should have to decide its inconclusive arms (the "add seeds until decided" option).</summary>
public static class SeedTopUp
{
    /// <summary>
    /// The new seed count, or null when nothing is to be added: no arm is inconclusive, or the cap is reached. It is what the
    /// seeds planner asks for the most undecided arm, at least one more than now and never above <paramref name="maxSeeds"/>;
    /// an arm even 30 seeds would not decide goes straight to the cap (the planner's estimate from few seeds is rough).
    /// </summary>
    public static int? Target(IEnumerable<ArmResultDto> results, int seeds, int maxSeeds)
    {
        var undecided = results.Where(r => r.Verdict == TransferVerdict.Inconclusive).ToList();
        if (undecided.Count == 0 || seeds >= maxSeeds)
        {
            return null;
        }
        var wanted = undecided.Max(r => r.SeedsToDecide ?? maxSeeds);
        return Math.Clamp(wanted, seeds + 1, maxSeeds);
    }
}
