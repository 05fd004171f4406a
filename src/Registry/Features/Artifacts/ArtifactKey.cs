namespace TransferHub.Registry.Features.Artifacts;

/// <summary>Validation of artifact keys, so that no key can escape the store's root.</summary>
public static class ArtifactKey
{
    public const int MaxLength = 512;

    /// <summary>Returns the key unchanged when it is safe; throws <see cref="ArgumentException"/> otherwise.</summary>
    public static string Validate(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length is 0 or > MaxLength)
        {
            throw new ArgumentException($"An artifact key must be 1 to {MaxLength} characters long.", nameof(key));
        }
        if (key.StartsWith('/') || key.EndsWith('/') || key.Contains('\\') || key.Contains(':'))
        {
            throw new ArgumentException($"Artifact key '{key}' must be a relative path separated by '/'.", nameof(key));
        }
        foreach (var segment in key.Split('/'))
        {
            if (segment is "" or "." or ".." || segment.Any(char.IsControl))
            {
                throw new ArgumentException($"Artifact key '{key}' has an empty, '.', '..' or control-character segment.", nameof(key));
            }
        }
        return key;
    }

    /// <summary>A prefix may be empty, or a key prefix ending anywhere.</summary>
    public static string ValidatePrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return prefix.Length == 0 ? prefix : Validate(prefix.TrimEnd('/')) + (prefix.EndsWith('/') ? "/" : "");
    }
}
