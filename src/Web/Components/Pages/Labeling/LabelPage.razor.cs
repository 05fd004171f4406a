using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using TransferHub.Shared.Datasets;
using TransferHub.Web.Components.Common;
using TransferHub.Web.Features.Datasets;
using TransferHub.Web.Features.Identity;
using TransferHub.Web.Features.Labeling;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Components.Pages.Labeling;

/// <summary>
/// The labeling session: the queue's current item with the next one already reserved and loaded
/// (prefetch), a history of this session's items to go back to, reservations kept alive by a heartbeat
/// and released when the page closes. A submit moves on at once and saves behind the page: a key pressed
/// while a save is in flight belongs to the next item, never to the one the person has left (a slow save
/// once kept an item on screen, and the next key press relabeled it).
/// </summary>
public partial class LabelPage
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(30);
    private readonly List<Guid> _history = [];
    private readonly HashSet<Guid> _skipped = [];
    private readonly HashSet<Guid> _saving = [];
    private Task _saves = Task.CompletedTask;
    private Task<LabelingItem?>? _fetching;
    private readonly CancellationTokenSource _closing = new();
    private ClaimsPrincipal _user = new();
    private DatasetDto? _dataset;
    private LabelingItem? _current;
    private LabelingItem? _prefetched;
    private LabelingItem? _shown;
    private int _position = -1;
    private int _sessionCount;
    private bool _autoSubmit = true;
    private DateTimeOffset _shownAt;
    private Guid? _presence;
    private string? _problem;
    private IDisposable? _subscription;
    private CoalescingRefresh? _progressRefresh;
    private List<BreadcrumbItem> _crumbs = [];

    [Parameter] public Guid DatasetId { get; set; }

    /// <summary>Queue order after unlabeled-first: sequential (default), random, or leastconfident.</summary>
    [SupplyParameterFromQuery(Name = "order")] public string? OrderName { get; set; }

    private QueueOrder Order => Enum.TryParse<QueueOrder>(OrderName, ignoreCase: true, out var order) ? order : QueueOrder.Sequential;
    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _user = (await AuthState).User;
        try
        {
            await Datasets.RequireAsync(_user, DatasetId, a => a.CanLabel, _closing.Token);
            _dataset = await Datasets.GetAsync(_user, DatasetId, _closing.Token);
        }
        catch (AppException e)
        {
            _problem = e is ForbiddenException ? "You cannot label this dataset" : e.Message;
            return;
        }
        _autoSubmit = _dataset.Task == LabelTask.SingleLabel;
        _crumbs = [new("Datasets", "/datasets"), new(_dataset.Name, $"/datasets/{DatasetId}"), new("Label", null, disabled: true)];
        _presence = await Presence.JoinAsync(DatasetId, _user.UserId(), _user.Identity?.Name ?? "someone");
        _current = await FetchNextAsync();
        Show(_current);
        _ = KeepAliveAsync();
        _progressRefresh = ProgressRefresh();
        _subscription = Events.Subscribe(DatasetId, OnDatasetEvent);
    }

    /// <summary>
    /// The team's progress bar follows everyone's labels, refreshed at most about twice a second, in the background:
    /// this page's own submit publishes the event, and a key press must not wait for the progress bar.
    /// </summary>
    private CoalescingRefresh ProgressRefresh() => new(async () =>
    {
        await Task.Delay(500, _closing.Token);
        var (items, labeled) = await Datasets.CountsAsync(DatasetId, _closing.Token);
        await InvokeAsync(() =>
        {
            _dataset = _dataset! with { ItemCount = items, LabeledCount = labeled };
            StateHasChanged();
        });
    }, ex =>
    {
        if (ex is not OperationCanceledException) // the page closed
        {
            _ = InvokeAsync(() => DispatchExceptionAsync(ex));
        }
    });

    private Task OnDatasetEvent(DatasetEvent e)
    {
        if (e is LabelsChanged)
        {
            _progressRefresh?.Request();
        }
        return Task.CompletedTask;
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (_current is not null && _prefetched is null && _fetching is null && !_closing.IsCancellationRequested)
        {
            await PrefetchAsync();
        }
    }

    /// <summary>The next item from the queue, never one on screen, being saved or skipped; off the circuit's thread (a busy
    /// database must not freeze the page).</summary>
    private Task<LabelingItem?> FetchNextAsync()
    {
        Guid[] exclude = [.. _skipped, .. _saving, .. _current is null ? [] : new[] { _current.Item.Id }];
        return Task.Run(() => Labeling.NextAsync(_user, DatasetId, Order, exclude, _closing.Token));
    }

    private async Task PrefetchAsync()
    {
        _fetching = FetchNextAsync();
        var next = await _fetching;
        _fetching = null;
        // An advance may have taken this very item while it was on its way.
        if (next is not null && next.Item.Id != _current?.Item.Id)
        {
            _prefetched = next;
            StateHasChanged();
        }
    }

    private async Task SubmitAsync(IReadOnlyList<Guid> labelIds)
    {
        if (_shown is null || _saving.Contains(_shown.Item.Id))
        {
            return; // this item's labels are on their way: a key pressed now edits nothing
        }
        var itemId = _shown.Item.Id;
        var names = labelIds.Select(id => id.ToString()).ToList();
        var duration = (int)(Clock.GetUtcNow() - _shownAt).TotalMilliseconds;
        _saving.Add(itemId);
        var previous = _saves;
        _saves = SaveAsync(previous, itemId, names, duration);
        if (_position >= 0)
        {
            await _saves; // looking back: the change lands before moving forward through the history
            await ForwardAsync();
            return;
        }
        _history.Add(itemId);
        _sessionCount++;
        await AdvanceAsync();
    }

    /// <summary>Saves one submit after the ones before it; a refusal is said, and the item stays in the history to go back to.</summary>
    private async Task SaveAsync(Task previous, Guid itemId, IReadOnlyList<string> names, int duration)
    {
        await previous;
        bool saved;
        try
        {
            // Off the circuit's thread: SQLite waits for a busy database synchronously, and the page must answer meanwhile. Not the
            // page's token: a label given just before the tab closes must still land.
            saved = await Snackbar.TryAsync(() => Task.Run(() => Labeling.SubmitAsync(_user, itemId, names, duration, CancellationToken.None)));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            saved = false; // a fault (the database away) must not break the saves queued behind this one
            Snackbar.Add("The label could not be saved right now.", Severity.Error);
        }
        _saving.Remove(itemId);
        if (!saved && _history.Contains(itemId))
        {
            _sessionCount--;
            Snackbar.Add("That label was not saved: press ← to go back to the item.", Severity.Warning);
        }
        await InvokeAsync(StateHasChanged);
    }

    private async Task SkipAsync()
    {
        if (_current is null || _position >= 0)
        {
            return;
        }
        _skipped.Add(_current.Item.Id);
        await Labeling.ReleaseAsync(_user.UserId(), [_current.Item.Id], _closing.Token);
        await AdvanceAsync();
    }

    /// <summary>
    /// The prefetched item takes the screen at once; without one, the fetch already on its way (never a second, racing one
    /// that could hand out the same item twice). The one behind it is fetched after the render.
    /// </summary>
    private async Task AdvanceAsync()
    {
        var left = _current?.Item.Id;
        var next = _prefetched ?? (_fetching is { } inFlight ? await inFlight : null);
        _prefetched = null;
        if (next is null || next.Item.Id == left || _saving.Contains(next.Item.Id) || _skipped.Contains(next.Item.Id))
        {
            _current = null;
            next = await FetchNextAsync();
        }
        _current = next;
        Show(_current);
    }

    private async Task BackAsync()
    {
        await _saves; // the history shows what was saved
        var target = _position < 0 ? _history.Count - 1 : _position - 1;
        if (target < 0)
        {
            return;
        }
        _position = target;
        Show(await Labeling.GetAsync(_user, _history[_position], _closing.Token));
    }

    private async Task ForwardAsync()
    {
        if (_position < 0)
        {
            return;
        }
        _position++;
        if (_position >= _history.Count)
        {
            _position = -1;
            Show(_current);
            return;
        }
        Show(await Labeling.GetAsync(_user, _history[_position], _closing.Token));
    }

    private async Task UndoAsync()
    {
        await _saves; // undo what has landed, not a save still on its way
        var target = _position >= 0 ? _history[_position] : _history.LastOrDefault();
        if (target == Guid.Empty)
        {
            Snackbar.Add("Nothing to undo yet.", Severity.Info);
            return;
        }
        if (await Snackbar.TryAsync(() => Labeling.UndoAsync(_user, target, _closing.Token), "Undone: the item is back as it was."))
        {
            _position = _history.LastIndexOf(target);
            Show(await Labeling.GetAsync(_user, target, _closing.Token));
        }
    }

    private void Show(LabelingItem? item)
    {
        _shown = item;
        _shownAt = Clock.GetUtcNow();
    }

    private async Task KeepAliveAsync()
    {
        using var timer = new PeriodicTimer(Heartbeat);
        try
        {
            while (await timer.WaitForNextTickAsync(_closing.Token))
            {
                var held = new[] { _current?.Item.Id, _prefetched?.Item.Id }.OfType<Guid>().ToList();
                await Labeling.RenewAsync(_user.UserId(), held, _closing.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // The page closed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _subscription?.Dispose();
        await _closing.CancelAsync();
        var held = new[] { _current?.Item.Id, _prefetched?.Item.Id }.OfType<Guid>().ToList();
        if (_user.Identity?.IsAuthenticated == true && held.Count > 0)
        {
            await Labeling.ReleaseAsync(_user.UserId(), held, CancellationToken.None);
        }
        if (_presence is { } session)
        {
            await Presence.LeaveAsync(DatasetId, session);
        }
        _closing.Dispose();
    }
}
