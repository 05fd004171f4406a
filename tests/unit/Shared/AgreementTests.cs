using TransferHub.Shared.Statistics;

namespace TransferHub.Tests.Unit.Shared;

public sealed class AgreementTests
{
    [Fact]
    public void CohenKappaMatchesTheTextbookExample()
    {
        // 50 items: yes/yes 20, yes/no 5, no/yes 10, no/no 15 → p_o = 0.7, p_e = 0.5, kappa = 0.4.
        var pairs = Enumerable.Repeat(("yes", "yes"), 20).Concat(Enumerable.Repeat(("yes", "no"), 5))
            .Concat(Enumerable.Repeat(("no", "yes"), 10)).Concat(Enumerable.Repeat(("no", "no"), 15)).ToList();

        Agreement.CohenKappa(pairs)!.Value.ShouldBe(0.4, 1e-12);
    }

    [Fact]
    public void CohenKappaIsOneForPerfectAgreementAndUndefinedWhenOnlyOneCategoryIsUsed()
    {
        Agreement.CohenKappa([("a", "a"), ("b", "b"), ("a", "a")])!.Value.ShouldBe(1, 1e-12);
        Agreement.CohenKappa([("a", "a"), ("a", "a")]).ShouldBeNull();
        Agreement.CohenKappa(Array.Empty<(string, string)>()).ShouldBeNull();
    }

    [Fact]
    public void FleissKappaMatchesTheTextbookExample()
    {
        // Fleiss (1971) as reproduced widely: 10 subjects, 14 raters, 5 categories → kappa ≈ 0.210.
        int[][] counts =
        [
            [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
            [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
        ];

        Agreement.FleissKappa(counts)!.Value.ShouldBe(0.210, 0.001);
    }

    [Fact]
    public void FleissKappaNeedsTheSameNumberOfRatingsPerItem() =>
        Should.Throw<ArgumentException>(() => Agreement.FleissKappa([[1, 1], [2, 1]]));

    [Fact]
    public void KrippendorffAlphaMatchesKrippendorffsNominalExample()
    {
        // Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 coders, 12 units, missing values; nominal alpha = 0.743.
        int?[][] coders =
        [
            [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3],
            [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null],
        ];
        var units = Enumerable.Range(0, 12).Select(u => (IReadOnlyList<int>)[.. coders.Select(c => c[u]).OfType<int>()]);

        Agreement.KrippendorffAlphaNominal(units)!.Value.ShouldBe(0.743, 0.001);
    }

    [Fact]
    public void KrippendorffAlphaIgnoresSingleRatingsAndIsUndefinedWithoutVariation()
    {
        Agreement.KrippendorffAlphaNominal<string>([["a"], ["b"]]).ShouldBeNull();
        Agreement.KrippendorffAlphaNominal<string>([["a", "a"], ["a", "a"]]).ShouldBeNull();
        Agreement.KrippendorffAlphaNominal<string>([["a", "a"], ["b", "b"], ["c"]])!.Value.ShouldBe(1, 1e-12);
    }
}
