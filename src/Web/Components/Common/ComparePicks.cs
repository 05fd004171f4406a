namespace TransferHub.Web.Components.Common;

/// <summary>The two things ticked for a side-by-side comparison: a third tick drops the oldest pick.</summary>
public sealed class ComparePicks
{
    private readonly List<Guid> _picks = [];

    public int Count => _picks.Count;

    public bool Contains(Guid id) => _picks.Contains(id);

    /// <summary>The compare page's query (<c>?a=…&amp;b=…</c>) once two are picked; null before.</summary>
    public string? Href(string page) => _picks.Count == 2 ? $"{page}?a={_picks[0]}&b={_picks[1]}" : null;

    public void Toggle(Guid id, bool on)
    {
        _picks.Remove(id);
        if (on)
        {
            _picks.Add(id);
            if (_picks.Count > 2)
            {
                _picks.RemoveAt(0);
            }
        }
    }
}
