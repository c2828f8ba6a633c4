using FuzzFarm.Programs;

namespace FuzzFarm.Fuzzing;

/// <summary>
/// Canonical names for a repro: bindings renamed in order of appearance, the first of each kind by its bare prefix
/// (<c>a</c>, <c>p</c>, <c>h</c> …, then <c>a2</c>, <c>a3</c>), threads <c>t1</c>, <c>t2</c> … in creation order.
/// Two repros that differ only in naming then print identically.
/// </summary>
internal static class Canonical
{
    public static List<Statement> Rename(IReadOnlyList<Statement> statements)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal) { [Statement.MainThread] = Statement.MainThread };
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in statements)
        {
            if (s.Binding is null)
            {
                continue;
            }
            var kind = s.Op is Op.Fork or Op.Thread ? ParamKind.Thread : s.Split ? ParamKind.Handle : s.Info.Result ?? ParamKind.Handle;
            var prefix = NameSet.Prefix(kind);
            var n = counts.GetValueOrDefault(prefix) + 1;
            counts[prefix] = n;
            map[s.Binding] = kind == ParamKind.Thread || n > 1
                ? prefix + n.ToString(System.Globalization.CultureInfo.InvariantCulture)
                : prefix;
        }
        // Bare prefixes and numbered names of different kinds never collide, but a source name might: map all at once.
        var result = new List<Statement>(statements.Count);
        foreach (var s in statements)
        {
            var args = s.Args.ToArray();
            for (var k = 0; k < args.Length; k++)
            {
                if (args[k].Form == ArgForm.Name && args[k].Name is { } name && map.TryGetValue(name, out var renamed))
                {
                    args[k] = Arg.Ref(renamed, args[k].Number);
                }
            }
            result.Add(Grammar.Make(map.GetValueOrDefault(s.Thread, s.Thread), s.Binding is null ? null : map[s.Binding], s.Op, s.Split, args));
        }
        return result;
    }
}
