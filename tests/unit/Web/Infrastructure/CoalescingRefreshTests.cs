using TransferHub.Web.Infrastructure;

namespace TransferHub.Tests.Unit.Web.Infrastructure;

public sealed class CoalescingRefreshTests
{
    [Fact]
    public async Task RequestsDuringARefreshFoldIntoOneFollowUpAndNeverWaitForIt()
    {
        var gates = new[] { new TaskCompletionSource(), new TaskCompletionSource() };
        var started = new[] { new TaskCompletionSource(), new TaskCompletionSource() };
        var runs = 0;
        var refresh = new CoalescingRefresh(async () =>
        {
            var n = Interlocked.Increment(ref runs) - 1;
            started[n].SetResult();
            await gates[n].Task;
        }, e => throw e);

        refresh.Request();
        await started[0].Task;
        for (var i = 0; i < 5; i++)
        {
            refresh.Request(); // returns at once although the first refresh is still running
        }
        gates[0].SetResult();
        await started[1].Task;
        gates[1].SetResult();

        runs.ShouldBe(2);
    }

    [Fact]
    public async Task AFailedRefreshIsReportedAndTheNextRequestRunsAgain()
    {
        var errors = new List<Exception>();
        var calls = 0;
        var second = new TaskCompletionSource();
        var refresh = new CoalescingRefresh(() =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                throw new InvalidOperationException("database away");
            }
            second.SetResult();
            return Task.CompletedTask;
        }, errors.Add);

        refresh.Request();
        refresh.Request();
        await second.Task.WaitAsync(TimeSpan.FromSeconds(10));

        errors.ShouldHaveSingleItem().Message.ShouldBe("database away");
        calls.ShouldBe(2);
    }

    [Fact]
    public void AnErrorThatCannotBeShownAnyMoreLeavesTheRefresherUsable()
    {
        var calls = 0;
        var refresh = new CoalescingRefresh(() =>
        {
            calls++;
            throw new InvalidOperationException("reload failed");
        }, _ => throw new ObjectDisposedException("renderer")); // the page closed meanwhile

        refresh.Request();
        refresh.Request();

        calls.ShouldBe(2); // both ran (synchronously here): the first failure did not leave it marked as running
    }
}
