using Microsoft.Extensions.Time.Testing;
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

    [Fact]
    public async Task WithAMinimumIntervalTheFirstRequestRunsAtOnceAndTheRestFoldIntoOneWhenTheIntervalHasPassed()
    {
        var clock = new FakeTimeProvider();
        var runs = 0;
        var second = new TaskCompletionSource();
        var third = new TaskCompletionSource();
        var refresh = new CoalescingRefresh(() =>
        {
            var n = Interlocked.Increment(ref runs);
            (n == 2 ? second : n == 3 ? third : null)?.SetResult();
            return Task.CompletedTask;
        }, e => throw e, TimeSpan.FromSeconds(1), clock);

        refresh.Request();
        runs.ShouldBe(1); // at once: nothing ran before it
        for (var i = 0; i < 10; i++)
        {
            refresh.Request(); // an event stream faster than the interval
        }
        clock.Advance(TimeSpan.FromMilliseconds(999));
        runs.ShouldBe(1);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        await second.Task.WaitAsync(TimeSpan.FromSeconds(10));
        runs.ShouldBe(2); // the ten requests became one refresh

        clock.Advance(TimeSpan.FromSeconds(5));
        refresh.Request();
        await third.Task.WaitAsync(TimeSpan.FromSeconds(10)); // after a quiet spell, without the clock moving again
        runs.ShouldBe(3);
    }

    [Fact]
    public void ARefreshThatWouldWaitForTheIntervalEndsQuietlyOnceItsOwnerStopped()
    {
        var clock = new FakeTimeProvider();
        using var stop = new CancellationTokenSource();
        var runs = 0;
        var errors = new List<Exception>();
        var refresh = new CoalescingRefresh(() =>
        {
            runs++;
            return Task.CompletedTask;
        }, errors.Add, TimeSpan.FromSeconds(1), clock, stop.Token);

        refresh.Request();
        stop.Cancel(); // the page closes
        refresh.Request(); // would wait for the interval: ends at once instead, reporting nothing

        runs.ShouldBe(1);
        errors.ShouldBeEmpty();
    }
}
