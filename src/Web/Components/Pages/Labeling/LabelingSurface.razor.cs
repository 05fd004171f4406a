using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.JSInterop;
using TransferHub.Shared.Datasets;
using TransferHub.Web.Features.Labeling;

namespace TransferHub.Web.Components.Pages.Labeling;

/// <summary>
/// The item on screen, its label buttons and every keyboard shortcut. It decides nothing about the
/// queue: it raises Submit, Skip, Undo, Back and Forward, and the page does the rest.
/// </summary>
public partial class LabelingSurface : IAsyncDisposable
{
    private IJSObjectReference? _keys;
    private IJSObjectReference? _keyForwarding;
    private static readonly double[] ZoomLevels = [1, 1.5, 2, 3, 4];
    private readonly HashSet<Guid> _selected = [];
    private ElementReference _surface;
    private Guid? _shownItem;
    private bool _help;
    private double _zoom = 1;

    /// <summary>The dataset being labeled (kind, task, labels with their shortcuts).</summary>
    [Parameter, EditorRequired] public DatasetDto Dataset { get; set; } = default!;

    /// <summary>The item on screen; null when the queue is empty for this user.</summary>
    [Parameter] public LabelingItem? Item { get; set; }

    /// <summary>True when the item is one the user labeled before (navigated back to).</summary>
    [Parameter] public bool Reviewing { get; set; }

    /// <summary>Single-label: a label key submits at once.</summary>
    [Parameter] public bool AutoSubmit { get; set; }

    /// <summary>Raised when the user flips <see cref="AutoSubmit"/>.</summary>
    [Parameter] public EventCallback<bool> AutoSubmitChanged { get; set; }

    /// <summary>How many items the user labeled since opening the page.</summary>
    [Parameter] public int SessionCount { get; set; }

    /// <summary>What a submit does, for the session count: "labeled", or "settled" on the review page.</summary>
    [Parameter] public string SessionVerb { get; set; } = "labeled";

    /// <summary>How many of the user's submits are still being saved.</summary>
    [Parameter] public int Saving { get; set; }

    /// <summary>Submit the selected label ids for <see cref="Item"/>.</summary>
    [Parameter] public EventCallback<IReadOnlyList<Guid>> OnSubmit { get; set; }

    /// <summary>Skip the item.</summary>
    [Parameter] public EventCallback OnSkip { get; set; }

    /// <summary>Undo the user's last change.</summary>
    [Parameter] public EventCallback OnUndo { get; set; }

    /// <summary>Go to the previous item.</summary>
    [Parameter] public EventCallback OnBack { get; set; }

    /// <summary>Go to the next item.</summary>
    [Parameter] public EventCallback OnForward { get; set; }

    /// <summary>Whether U undoes (the review page settles items instead, and has no undo).</summary>
    [Parameter] public bool CanUndo { get; set; } = true;

    /// <summary>Shown above the label buttons: e.g. what each annotator said, on the review page.</summary>
    [Parameter] public RenderFragment? Aside { get; set; }

    protected override void OnParametersSet()
    {
        // A new item starts with the user's earlier labels selected (none for a fresh item).
        if (Item?.Item.Id != _shownItem)
        {
            _shownItem = Item?.Item.Id;
            _selected.Clear();
            _selected.UnionWith(Item?.MyLabelIds ?? []);
            // A fresh item with a model's pre-label starts with it selected: Enter confirms it, any label key replaces it.
            if (_selected.Count == 0 && Item?.Suggestion is { } suggestion)
            {
                _selected.Add(suggestion.LabelId);
            }
            _zoom = 1;
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            await FocusAsync();
            // Keys keep working after a click elsewhere on the page (focus on the body once silenced every shortcut).
            _keys = await JS.InvokeAsync<IJSObjectReference>("import", "./js/labeling-keys.js");
            _keyForwarding = _keys is null ? null : await _keys.InvokeAsync<IJSObjectReference>("keepKeys", _surface);
        }
    }

    /// <summary>Takes keyboard focus back, e.g. after a click on a button.</summary>
    public ValueTask FocusAsync() => _surface.Context is null ? ValueTask.CompletedTask : _surface.FocusAsync();

    private Task OnKeyDown(KeyboardEventArgs e) => e.CtrlKey || e.AltKey || e.MetaKey ? Task.CompletedTask : HandleKeyAsync(e.Key);

    /// <summary>One key press; public for the component tests.</summary>
    public async Task HandleKeyAsync(string key)
    {
        switch (key)
        {
            case "?":
                _help = !_help;
                return;
            case "Escape":
                _help = false;
                _selected.Clear();
                return;
            case "Enter":
                await SubmitAsync();
                return;
            case "ArrowRight" or "j" or "J":
                await OnForward.InvokeAsync();
                return;
            case "ArrowLeft" or "k" or "K":
                await OnBack.InvokeAsync();
                return;
            case "u" or "U" when CanUndo:
                await OnUndo.InvokeAsync();
                return;
            case "s" or "S":
                await OnSkip.InvokeAsync();
                return;
            case "+" or "=":
                _zoom = ZoomLevels.FirstOrDefault(z => z > _zoom, ZoomLevels[^1]);
                return;
            case "-" or "_":
                _zoom = ZoomLevels.LastOrDefault(z => z < _zoom, ZoomLevels[0]);
                return;
        }
        var label = Dataset.Labels.FirstOrDefault(l => string.Equals(l.Shortcut, key, StringComparison.OrdinalIgnoreCase));
        if (label is not null)
        {
            await ChooseAsync(label.Id);
        }
    }

    private async Task ChooseAsync(Guid labelId)
    {
        if (Item is null)
        {
            return;
        }
        if (Dataset.Task == LabelTask.MultiLabel)
        {
            if (!_selected.Remove(labelId))
            {
                _selected.Add(labelId);
            }
        }
        else
        {
            _selected.Clear();
            _selected.Add(labelId);
            if (AutoSubmit)
            {
                await SubmitAsync();
                return;
            }
        }
        await FocusAsync();
    }

    private async Task SubmitAsync()
    {
        if (Item is null || _selected.Count == 0)
        {
            return;
        }
        await OnSubmit.InvokeAsync([.. _selected]);
        await FocusAsync();
    }

    private void ToggleHelp() => _help = !_help;

    /// <summary>Small images (28 px digits, icons) are drawn at least 320 px wide with crisp pixels; zoom multiplies that.</summary>
    private string ImageStyle
    {
        get
        {
            var width = Item?.Item.Width ?? 512;
            var upscale = width < 320;
            var shown = (upscale ? 320 : width) * _zoom;
            return $"width:{shown}px;{(upscale ? "image-rendering:pixelated;" : "")}";
        }
    }

    private Task OnAutoSubmitChanged(bool value) => AutoSubmitChanged.InvokeAsync(value);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_keyForwarding is not null)
            {
                await _keyForwarding.InvokeVoidAsync("dispose");
                await _keyForwarding.DisposeAsync();
            }
            if (_keys is not null)
            {
                await _keys.DisposeAsync();
            }
        }
        catch (JSDisconnectedException)
        {
            // The tab is gone, and its listeners with it.
        }
    }
}
