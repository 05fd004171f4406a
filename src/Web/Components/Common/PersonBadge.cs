namespace TransferHub.Web.Components.Common;

/// <summary>
/// How a person is drawn in an avatar: two initials and a colour of their own, so that two labelers whose e-mails both
/// start with "l" are not both a grey "L". The colour comes from a stable hash of the name (the same on every node and
/// after a restart; <see cref="string.GetHashCode()"/> is not).
/// </summary>
public static class PersonBadge
{
    private static readonly string[] Palette = ["#3556c8", "#0f9d8a", "#b5477a", "#c27c0e", "#6b4fbb", "#2f855a", "#c2410c", "#0e7490"];

    public static string Initials(string name)
    {
        var local = name.Split('@')[0];
        var parts = local.Split([' ', '.', '-', '_', '+'], StringSplitOptions.RemoveEmptyEntries);
        return parts.Length switch
        {
            0 => "?",
            1 => parts[0][..Math.Min(2, parts[0].Length)].ToUpperInvariant(),
            _ => $"{char.ToUpperInvariant(parts[0][0])}{char.ToUpperInvariant(parts[1][0])}",
        };
    }

    public static string Colour(string name)
    {
        var hash = 2166136261u; // FNV-1a
        foreach (var c in name.ToLowerInvariant())
        {
            hash = (hash ^ c) * 16777619u;
        }
        return Palette[hash % (uint)Palette.Length];
    }
}
