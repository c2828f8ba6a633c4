using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using FuzzFarm.Programs;

namespace FuzzFarm.Fuzzing;

/// <summary>Fresh binding names for a program: a short prefix by kind and the first unused number.</summary>
internal sealed class NameSet
{
    private const int Cached = 64;

    private static readonly string[] Prefixes = ["a", "t", "p", "h", "f", "u", "w"];

    /// <summary>Every prefix is one letter: this is them in order, for telling a name's prefix from its first character.</summary>
    private static readonly string PrefixLetters = string.Concat(Prefixes);

    /// <summary>Names are made for every generated line: the common ones are built once.</summary>
    private static readonly string[][] Names = [.. Prefixes.Select(p => Enumerable.Range(0, Cached).Select(i => p + i.ToString(CultureInfo.InvariantCulture)).ToArray())];

    // The set is rebuilt for every insert of every mutant: a prefix's numbers below Cached are one bit each (no hashing);
    // any other bound name (more digits, a leading zero, another spelling) is kept by its text.
    private readonly ulong[] _usedNumbers = new ulong[Prefixes.Length];
    private readonly HashSet<string> _usedOthers = new(StringComparer.Ordinal);

    // The statements whose bindings the set is still to take in: a mutation operator resets the set for every
    // change, but most changes bind nothing and never ask for a name.
    private List<Statement>? _pending;

    /// <summary>
    /// Starts over with the names <paramref name="statements"/> bind (read at the first <see cref="Fresh"/>, so the
    /// caller leaves the list alone until then).
    /// </summary>
    public void Reset(List<Statement> statements)
    {
        _pending = statements;
    }

    /// <summary>Starts over with no name bound but t0's.</summary>
    public void Clear()
    {
        _pending = null;
        Array.Clear(_usedNumbers);
        _usedOthers.Clear();
        Add(Statement.MainThread);
    }

    private void TakePending(List<Statement> statements)
    {
        Clear();
        foreach (var st in CollectionsMarshal.AsSpan(statements))
        {
            if (st.Binding is { } binding)
            {
                Add(binding);
            }
        }
    }

    /// <summary>
    /// Ordinal equality of two names, inlined: names are a few characters long and most that differ differ in their
    /// last digit, where string.Equals would call out to compare the whole span.
    /// </summary>
    public static bool Same(string? a, string? b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }
        if (a is null || b is null || a.Length != b.Length)
        {
            return false;
        }
        for (var i = a.Length - 1; i >= 0; i--)
        {
            if (a[i] != b[i])
            {
                return false;
            }
        }
        return true;
    }

    public static string Prefix(ParamKind kind) => Prefixes[PrefixIndex(kind)];

    private static int PrefixIndex(ParamKind kind) => kind switch
    {
        ParamKind.Address => 0,
        ParamKind.Thread => 1,
        ParamKind.Pipe => 2,
        ParamKind.Pin => 3,
        ParamKind.File => 4,
        ParamKind.Uffd => 5,
        _ => 6,
    };

    public string Fresh(ParamKind kind)
    {
        if (_pending is { } pending)
        {
            TakePending(pending);
        }
        var k = PrefixIndex(kind);
        // The lowest free number from 1 (0 is t0's, and never handed out for the other prefixes either).
        var free = ~_usedNumbers[k] & ~1UL;
        if (free != 0)
        {
            var i = BitOperations.TrailingZeroCount(free);
            _usedNumbers[k] |= 1UL << i;
            return Names[k][i];
        }
        for (var i = Cached; ; i++)
        {
            var name = Prefixes[k] + i.ToString(CultureInfo.InvariantCulture);
            if (_usedOthers.Add(name))
            {
                return name;
            }
        }
    }

    private void Add(string name)
    {
        if (CachedNumber(name, out var k, out var number))
        {
            _usedNumbers[k] |= 1UL << number;
        }
        else
        {
            _usedOthers.Add(name);
        }
    }

    /// <summary>Whether <paramref name="name"/> is one of the cached names (a prefix and a number below Cached, as printed).</summary>
    private static bool CachedNumber(string name, out int prefix, out int number)
    {
        prefix = number = 0;
        if (name.Length is < 2 or > 3 || (name.Length == 3 && name[1] == '0'))
        {
            return false;
        }
        prefix = PrefixLetters.IndexOf(name[0], StringComparison.Ordinal);
        if (prefix < 0)
        {
            return false;
        }
        for (var i = 1; i < name.Length; i++)
        {
            if (!char.IsAsciiDigit(name[i]))
            {
                return false;
            }
            number = number * 10 + (name[i] - '0');
        }
        return number < Cached;
    }
}
