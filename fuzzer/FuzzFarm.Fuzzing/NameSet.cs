using FuzzFarm.Programs;

namespace FuzzFarm.Fuzzing;

/// <summary>Fresh binding names for a program: a short prefix by kind and the first unused number.</summary>
internal sealed class NameSet
{
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

    public static string Prefix(ParamKind kind) => kind switch
    {
        ParamKind.Address => "a",
        ParamKind.Thread => "t",
        ParamKind.Pipe => "p",
        ParamKind.Pin => "h",
        ParamKind.File => "f",
        ParamKind.Uffd => "u",
        _ => "w",
    };

    public string Fresh(ParamKind kind)
    {
        var prefix = Prefix(kind);
        for (var i = 1; ; i++)
        {
            var name = prefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (_used.Add(name))
            {
                return name;
            }
        }
    }
}
