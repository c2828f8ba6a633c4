using System.Globalization;
using FuzzFarm.Programs;

namespace FuzzFarm.Fuzzing;

/// <summary>Fresh binding names for a program: a short prefix by kind and the first unused number.</summary>
internal sealed class NameSet
{
    private const int Cached = 64;

    private static readonly string[] Prefixes = ["a", "t", "p", "h", "f", "u", "w"];

    /// <summary>Names are made for every generated line: the common ones are built once.</summary>
    private static readonly string[][] Names = [.. Prefixes.Select(p => Enumerable.Range(0, Cached).Select(i => p + i.ToString(CultureInfo.InvariantCulture)).ToArray())];

    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public void Reset(IReadOnlyList<Statement> statements)
    {
        _used.Clear();
        _used.Add(Statement.MainThread);
        foreach (var s in statements)
        {
            if (s.Binding is not null)
            {
                _used.Add(s.Binding);
            }
        }
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
        var k = PrefixIndex(kind);
        for (var i = 1; ; i++)
        {
            var name = i < Cached ? Names[k][i] : Prefixes[k] + i.ToString(CultureInfo.InvariantCulture);
            if (_used.Add(name))
            {
                return name;
            }
        }
    }
}
