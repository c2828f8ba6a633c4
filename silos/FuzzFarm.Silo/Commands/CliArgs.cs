namespace FuzzFarm.Silo.Commands;

/// <summary>
/// The arguments after the sub-command: positionals and <c>--option value</c> / <c>--switch</c>.
/// Every option must be consumed by the command; leftovers are a usage error, so typos never pass silently.
/// </summary>
public sealed class CliArgs
{
    private readonly List<string> _positionals = [];
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _consumed = new(StringComparer.Ordinal);

    public CliArgs(IEnumerable<string> args)
    {
        var list = args.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            var a = list[i];
            if (!a.StartsWith("--", StringComparison.Ordinal) || a.Length == 2)
            {
                _positionals.Add(a);
                continue;
            }
            var eq = a.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                _options[a[2..eq]] = a[(eq + 1)..];
            }
            else if (i + 1 < list.Count && !list[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                // Ambiguous between a switch followed by a positional and an option with a value:
                // resolved when the command asks (Flag vs Option).
                _options[a[2..]] = list[i + 1];
                _pendingValueIndex[a[2..]] = _positionals.Count;
                i++;
            }
            else
            {
                _options[a[2..]] = null;
            }
        }
    }

    private readonly Dictionary<string, int> _pendingValueIndex = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Positionals => _positionals;

    /// <summary>A valued option, or null when absent.</summary>
    public string? Option(string name)
    {
        _consumed.Add(name);
        if (!_options.TryGetValue(name, out var value))
        {
            return null;
        }
        return value ?? throw new UsageException($"--{name} needs a value");
    }

    public string RequiredOption(string name) => Option(name) ?? throw new UsageException($"--{name} is required");

    public long? LongOption(string name)
    {
        var text = Option(name);
        if (text is null)
        {
            return null;
        }
        return long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new UsageException($"--{name} expects an integer, got '{text}'");
    }

    /// <summary>A switch without a value. If the parser took the next word as its value, give it back as a positional.</summary>
    public bool Flag(string name)
    {
        _consumed.Add(name);
        if (!_options.TryGetValue(name, out var value))
        {
            return false;
        }
        if (value is not null)
        {
            _positionals.Insert(_pendingValueIndex[name], value);
            _options[name] = null;
        }
        return true;
    }

    /// <summary>Call after reading every option: rejects options the command does not know.</summary>
    public void EnsureAllConsumed()
    {
        var unknown = _options.Keys.Where(k => !_consumed.Contains(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            throw new UsageException($"unknown option --{unknown[0]}");
        }
    }
}
