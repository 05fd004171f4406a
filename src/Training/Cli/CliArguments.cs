using System.Globalization;

namespace TransferHub.Training.Cli;

// --name value options and --flag switches after a command word.
internal sealed class CliArguments
{
    private readonly Dictionary<string, string?> values = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> read = new(StringComparer.OrdinalIgnoreCase);

    public CliArguments(IEnumerable<string> args)
    {
        string? pending = null;
        foreach (var arg in args)
        {
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (pending is not null) values[pending] = null;
                pending = arg[2..];
            }
            else if (pending is not null)
            {
                values[pending] = arg;
                pending = null;
            }
            else
            {
                throw new CliException($"Unexpected argument '{arg}'.");
            }
        }
        if (pending is not null) values[pending] = null;
    }

    public string? Get(string name)
    {
        read.Add(name);
        return values.TryGetValue(name, out var v) ? v ?? throw new CliException($"--{name} needs a value.") : null;
    }

    public string Required(string name) => Get(name) ?? throw new CliException($"--{name} is required.");

    public int Int(string name, int fallback) => Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public double Double(string name, double fallback) => Get(name) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public double? OptionalDouble(string name) => Get(name) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : null;

    public bool Flag(string name)
    {
        read.Add(name);
        return values.ContainsKey(name);
    }

    // Fails on options no command asked for, so a typo does not silently fall back to a default.
    public void EnsureAllUsed()
    {
        var unknown = values.Keys.Where(k => !read.Contains(k)).ToList();
        if (unknown.Count > 0) throw new CliException($"Unknown option(s): {string.Join(", ", unknown.Select(u => "--" + u))}.");
    }
}

internal sealed class CliException(string message) : Exception(message);
