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
/// and released when the page closes.
/// </summary>
public partial class LabelPage
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(30);
    private readonly List<Guid> _history = [];
    private readonly HashSet<Guid> _skipped = [];
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
        _current = await Labeling.NextAsync(_user, DatasetId, Order, [.. _skipped], _closing.Token);
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
        if (_current is not null && _prefetched is null && !_closing.IsCancellationRequested)
        {
            await PrefetchAsync();
        }
    }

    private async Task PrefetchAsync()
    {
        if (_current is null)
        {
            return;
        }
        _prefetched = await Labeling.NextAsync(_user, DatasetId, Order, [.. _skipped, _current.Item.Id], _closing.Token);
        if (_prefetched is not null)
        {
            StateHasChanged();
        }
    }

    private async Task SubmitAsync(IReadOnlyList<Guid> labelIds)
    {
        if (_shown is null)
        {
            return;
        }
        var names = labelIds.Select(id => id.ToString()).ToList();
        var duration = (int)(Clock.GetUtcNow() - _shownAt).TotalMilliseconds;
        var saved = await Snackbar.TryAsync(() => Labeling.SubmitAsync(_user, _shown.Item.Id, names, duration, _closing.Token));
        if (!saved)
        {
            return;
        }
        if (_position >= 0)
        {
            await ForwardAsync();
            return;
        }
        _history.Add(_shown.Item.Id);
        _sessionCount++;
        await AdvanceAsync();
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

    /// <summary>The prefetched item takes the screen at once; the one behind it is fetched after the render.</summary>
    private async Task AdvanceAsync()
    {
        _current = _prefetched ?? await Labeling.NextAsync(_user, DatasetId, Order, [.. _skipped], _closing.Token);
        _prefetched = null;
        Show(_current);
    }

    private async Task BackAsync()
    {
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
