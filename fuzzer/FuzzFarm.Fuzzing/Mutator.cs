using System.Runtime.InteropServices;
using FuzzFarm.Programs;

namespace FuzzFarm.Fuzzing;

/// <summary>
/// Changes a program's statement list in place: insert (anywhere, or inside a split op's window), remove, duplicate,
/// change an argument, a thread (a split op's together with its wait) or an access's kind, move a line (a new
/// interleaving), splice in part of another program, squash (un-split an op, fold a thread into its creator).
/// Each operator keeps names bound before use and split ops waited; whatever it cannot guarantee locally (a moved line
/// landing before its definition) the caller's validation rejects, and the caller tries again.
/// </summary>
internal sealed class Mutator
{
    /// <summary>
    /// Longest program mutation makes. Execution time follows length and mutants drift up to the cap, so it sets the
    /// loop's speed: 24 leaves room around the 15-line races the seeds need (bench/HISTORY, stop 34).
    /// </summary>
    public const int MaxStatements = 24;

    /// <summary>Lines <see cref="ObserveWrites"/> adds at most.</summary>
    public const int MaxObservations = 8;

    /// <summary>Share of in-window inserts that run on a new thread (see <see cref="InsertInWindow"/>).</summary>
    private const int FreshThreadPercent = 30;

    /// <summary>Share of the other in-window inserts that run on a thread that touched the op's mapping before it.</summary>
    private const int WarmThreadPercent = 50;

    private readonly Rng _rng;
    private readonly Grammar _grammar;
    private readonly Scope _scope = new();
    private readonly NameSet _names = new();
    private readonly List<Statement> _emitted = new(8);
    // Reused by the operators that need them, cleared on each use: most mutants ran one of them, each allocating its own.
    private readonly HashSet<(string, long)> _observed = [];
    private readonly Dictionary<string, string> _spliceNames = new(StringComparer.Ordinal);
    private readonly List<Statement> _spliced = new(8);

    /// <summary>
    /// The names <see cref="RemoveWithDependents"/> removes, reused per thread (it is static, and the minimizer calls it
    /// too). A list: it holds a name or three, and a scan costs less than hashing every name of every later line.
    /// </summary>
    [ThreadStatic]
    private static List<string>? doomedNames;

    public Mutator(Rng rng, Grammar grammar)
    {
        _rng = rng;
        _grammar = grammar;
    }

    private enum Kind
    {
        Insert,
        InsertInWindow,
        InsertObservation,
        Remove,
        Duplicate,
        ChangeArgument,
        ChangeThread,
        Move,
        Splice,
        Squash,
        Split,
        ObserveWrites,
        ChangeAccess,
    }

    private static ReadOnlySpan<int> KindWeights => [22, 20, 7, 13, 5, 22, 6, 14, 4, 3, 4, 4, 6];

    /// <summary>Applies one mutation; returns false if the chosen operator found nothing to do.</summary>
    public bool MutateOnce(List<Statement> s, ReadOnlySpan<Statement> donor)
    {
        var kind = s.Count == 0 ? Kind.Insert : (Kind)_rng.PickWeighted(KindWeights);
        if (s.Count >= MaxStatements && kind is Kind.Insert or Kind.InsertInWindow or Kind.InsertObservation or Kind.Duplicate or Kind.Splice)
        {
            kind = Kind.Remove;
        }
        return kind switch
        {
            Kind.Insert => Insert(s, _rng.Next(s.Count + 1), CallMix.Any),
            Kind.InsertInWindow => InsertInWindow(s),
            Kind.InsertObservation => Insert(s, _rng.Percent(50) ? s.Count : _rng.Next(s.Count + 1), CallMix.Observation),
            Kind.Remove => Remove(s, _rng.Next(s.Count)),
            Kind.Duplicate => Duplicate(s),
            Kind.ChangeArgument => ChangeArgument(s),
            Kind.ChangeThread => ChangeThread(s),
            Kind.Move => Move(s),
            Kind.Splice => Splice(s, donor),
            Kind.Squash => _rng.Percent(50) ? Unsplit(s) : FoldThread(s),
            Kind.Split => SplitOne(s),
            Kind.ObserveWrites => ObserveWrites(s, MaxStatements),
            Kind.ChangeAccess => ChangeAccess(s),
            _ => false,
        };
    }

    /// <summary>
    /// Inserts one generated call (after any resource it needs), preferring the mapping named <paramref name="focus"/>
    /// and, when named and idle there, the thread <paramref name="thread"/>.
    /// </summary>
    public bool Insert(List<Statement> s, int position, CallMix mix, string? focus = null, string? thread = null)
    {
        _scope.Build(s, position);
        _names.Reset(s);
        _emitted.Clear();
        var focused = focus is null ? -1 : _scope.ResourceIndex(focus);
        var on = thread is null ? -1 : _scope.ThreadIndex(thread);
        if (!_grammar.EmitCall(_scope, _names, _emitted, position, mix, focused, on))
        {
            return false;
        }
        s.InsertRange(position, _emitted);
        var last = _emitted[^1];
        if (last.Split)
        {
            PlaceWait(s, position + _emitted.Count - 1);
        }
        return true;
    }

    /// <summary>
    /// Inserts a call inside a split op's window (after the op, up to its wait), mostly on the op's mapping. Races
    /// happen there: another thread acting on the same pages mid-operation, and a split call nests a second window.
    /// The window's own thread is busy, so the call lands on another: sometimes on a thread made for it just before the
    /// op, a CPU whose TLB holds nothing yet, so that its access faults; sometimes on a thread that accessed the mapping
    /// before the op, whose TLB may hold an entry the op left stale; otherwise on any idle thread.
    /// </summary>
    public bool InsertInWindow(List<Statement> s)
    {
        var windows = 0;
        foreach (var st in s)
        {
            windows += st.Split ? 1 : 0;
        }
        if (windows == 0)
        {
            return false;
        }
        var pick = _rng.Next(windows);
        var split = 0;
        while (!s[split].Split || pick-- > 0)
        {
            split++;
        }
        var wait = WaitOf(s, split);
        var position = _rng.Between(split + 1, wait);
        if (_rng.Percent(FreshThreadPercent) && s.Count + 2 <= MaxStatements && ThreadCount(s) < Grammar.MaxThreads)
        {
            var fresh = InsertThreadBefore(s, split);
            if (Insert(s, position + 1, CallMix.Racing, AddressOf(s[split + 1]), fresh))
            {
                return true;
            }
            s.RemoveAt(split);
            return false;
        }
        var focus = AddressOf(s[split]);
        var warm = focus is not null && _rng.Percent(WarmThreadPercent) ? WarmThread(s, split, focus) : null;
        return Insert(s, position, CallMix.Racing, focus, warm);
    }

    /// <summary>
    /// A thread other than the op's that loaded or stored to <paramref name="mapping"/> before line <paramref name="split"/>,
    /// or null. In a store's window (a COW copy in flight) only one that stored: a load leaves no writable entry.
    /// </summary>
    private string? WarmThread(List<Statement> s, int split, string mapping)
    {
        string? chosen = null;
        var seen = 0;
        for (var i = 0; i < split; i++)
        {
            var st = s[i];
            if ((st.Op == Op.Store || (st.Op == Op.Load && s[split].Op != Op.Store)) && st.Thread != s[split].Thread && st.Args[0].Name == mapping && st.Thread != chosen
                && _rng.Next(++seen) == 0)
            {
                chosen = st.Thread;
            }
        }
        return chosen;
    }

    private static int ThreadCount(List<Statement> s)
    {
        var threads = 1;
        foreach (var st in s)
        {
            threads += st.Op is Op.Thread or Op.Fork ? 1 : 0;
        }
        return threads;
    }

    /// <summary>Index of the wait of the split op at <paramref name="split"/> (the end when it has none).</summary>
    private static int WaitOf(List<Statement> s, int split)
    {
        var handle = s[split].Binding;
        for (var i = split + 1; i < s.Count; i++)
        {
            if (s[i].Op == Op.Wait && s[i].Args[0].Name == handle)
            {
                return i;
            }
        }
        return s.Count;
    }

    /// <summary>The mapping an op's first address argument names, or null.</summary>
    private static string? AddressOf(Statement st)
    {
        for (var k = 0; k < st.Args.Length; k++)
        {
            if (st.Info.Params[k] == ParamKind.Address)
            {
                return st.Args[k].Name;
            }
        }
        return null;
    }

    /// <summary>Adds the wait of the split op at <paramref name="split"/> before its thread's next line.</summary>
    private void PlaceWait(List<Statement> s, int split)
    {
        var thread = s[split].Thread;
        var next = s.Count;
        for (var i = split + 1; i < s.Count; i++)
        {
            if (s[i].Thread == thread)
            {
                next = i;
                break;
            }
        }
        var at = next == split + 1 ? next : _rng.Between(split + 2, next);
        s.Insert(at, Grammar.Make(thread, null, Op.Wait, false, [Arg.Ref(s[split].Binding!)]));
    }

    /// <summary>Removes a line and everything that depends on it (uses of its binding, lines of its thread).</summary>
    public static bool Remove(List<Statement> s, int index)
    {
        if (s[index].Op == Op.Wait)
        {
            return UnsplitWait(s, index);
        }
        RemoveWithDependents(s, index);
        return true;
    }

    public static void RemoveWithDependents(List<Statement> s, int index)
    {
        var binding = s[index].Binding;
        s.RemoveAt(index);
        if (binding is null)
        {
            return;
        }
        var doomed = doomedNames ??= new List<string>(8);
        doomed.Clear();
        doomed.Add(binding);
        // The kept lines slide down over the removed ones in one pass; those before the first removed one stay put
        // (each store of a reference into the list is a write barrier).
        var lines = CollectionsMarshal.AsSpan(s);
        var kept = index;
        for (var i = index; i < lines.Length; i++)
        {
            var st = lines[i];
            if (Uses(st, doomed))
            {
                if (st.Binding is { } b2)
                {
                    doomed.Add(b2);
                }
            }
            else
            {
                if (kept != i)
                {
                    lines[kept] = st;
                }
                kept++;
            }
        }
        s.RemoveRange(kept, lines.Length - kept);
    }

    private static bool Uses(Statement st, List<string> names)
    {
        if (Contains(names, st.Thread))
        {
            return true;
        }
        foreach (ref readonly var a in st.Args.AsSpan())
        {
            if (a.Form == ArgForm.Name && a.Name is { } name && Contains(names, name))
            {
                return true;
            }
        }
        return false;
    }

    private static bool Contains(List<string> names, string name)
    {
        foreach (var n in CollectionsMarshal.AsSpan(names))
        {
            if (NameSet.Same(n, name))
            {
                return true;
            }
        }
        return false;
    }

    private bool Duplicate(List<Statement> s)
    {
        var i = _rng.Next(s.Count);
        var st = s[i];
        if (st.Op is Op.Wait or Op.Exit)
        {
            return false;
        }
        _names.Reset(s);
        var binding = st.Binding is null ? null
            : st.Split && st.Info.Result is null ? null
            : _names.Fresh(st.Info.Result ?? ParamKind.Handle);
        var copy = Grammar.Make(st.Thread, binding, st.Op, false, [.. st.Args]);
        s.Insert(_rng.Between(i + 1, s.Count), copy);
        return true;
    }

    private bool ChangeArgument(List<Statement> s)
    {
        var i = _rng.Next(s.Count);
        var st = s[i];
        if (st.Args.Length == 0 || st.Op == Op.Wait)
        {
            return false;
        }
        var k = _rng.Next(st.Args.Length);
        var param = st.Info.Params[k];
        var old = st.Args[k];
        if ((st.Info.NameArgs >> k & 1) == 0)
        {
            var changed = st.Args.ToArray();
            changed[k] = param == ParamKind.Number ? Arg.Num(MutateNumber(st.Op, k, old.Number)) : Arg.Of(MutateFlags(param, old.Flags));
            // No name changes, so no scope to build.
            s[i] = Grammar.Make(st.Thread, st.Binding, st.Op, st.Split, changed);
            return true;
        }
        _scope.Build(s, i);
        Arg replacement;
        switch (param)
        {
            case ParamKind.Address:
            {
                var t = _scope.ThreadIndex(st.Thread);
                if (t < 0 || _scope.CountKind(ParamKind.Address) == 0)
                {
                    return false;
                }
                var a = _rng.Percent(40) ? _grammar.PickAddress(_scope, t) : _scope.ResourceIndex(old.Name ?? "");
                if (a < 0)
                {
                    return false;
                }
                var r = _scope.Resources[a];
                var offset = _rng.Percent(50) ? _grammar.PickWord(r) : _grammar.PickRange(r).Offset;
                replacement = Arg.Ref(r.Name, offset);
                break;
            }
            case ParamKind.Thread:
            {
                var candidates = 0;
                for (var t = 0; t < _scope.Threads.Count; t++)
                {
                    candidates += _scope.Threads[t].Alive ? 1 : 0;
                }
                var pick = _rng.Next(Math.Max(1, candidates));
                var chosen = Statement.MainThread;
                for (var t = 0; t < _scope.Threads.Count; t++)
                {
                    if (_scope.Threads[t].Alive && pick-- == 0)
                    {
                        chosen = _scope.Threads[t].Name;
                        break;
                    }
                }
                replacement = Arg.Ref(chosen);
                break;
            }
            default:
            {
                var n = _scope.CountKind(param);
                if (n == 0)
                {
                    return false;
                }
                var chosen = _scope.NthOfKind(param, _rng.Next(n));
                replacement = Arg.Ref(chosen >= 0 ? _scope.Resources[chosen].Name : old.Name ?? "");
                break;
            }
        }
        var args = st.Args.ToArray();
        args[k] = replacement;
        s[i] = Grammar.Make(st.Thread, st.Binding, st.Op, st.Split, args);
        return true;
    }

    private long MutateNumber(Op op, int index, long old)
    {
        var isValue = (op is Op.Store or Op.DmaWrite && index == 1) || (op == Op.Memset && index == 2) || (op == Op.DmaWrite && index == 2);
        if (isValue)
        {
            return _grammar.Value();
        }
        if (op == Op.Mmap || _rng.OneIn(8))
        {
            return Sizes.MapLengths[_rng.PickWeighted(Sizes.MapLengthWeights)];
        }
        return _rng.Next(6) switch
        {
            0 or 1 => Sizes.DataLengths[_rng.PickWeighted(Sizes.DataLengthWeights)],
            2 => old + Sizes.Page,
            3 => Math.Max(0, old - Sizes.Page),
            4 => old > Sizes.Page ? old / 2 : old * 2,
            _ => _rng.Percent(50) ? 0 : Sizes.Word * _rng.Next(512),
        };
    }

    private Flag MutateFlags(ParamKind kind, Flag old)
    {
        var (allowed, groups) = FlagWords.Rules(kind);
        var flags = Flag.None;
        foreach (var group in groups)
        {
            flags |= PickBit(group);
        }
        // Optional words (populate, hugetlb, longterm, fast) are toggled relative to the old value.
        var optional = allowed;
        foreach (var group in groups)
        {
            optional &= ~group;
        }
        var kept = old & optional;
        if (optional != Flag.None && _rng.Percent(50))
        {
            kept ^= PickBit(optional);
        }
        return flags | kept;
    }

    private Flag PickBit(Flag set)
    {
        var n = System.Numerics.BitOperations.PopCount((uint)set);
        var k = _rng.Next(n);
        for (var bit = 1u; bit != 0; bit <<= 1)
        {
            if (((uint)set & bit) != 0 && k-- == 0)
            {
                return (Flag)bit;
            }
        }
        return Flag.None;
    }

    private bool ChangeThread(List<Statement> s)
    {
        var i = _rng.Next(s.Count);
        var st = s[i];
        if (st.Split)
        {
            return HandOver(s, i);
        }
        if (st.Op == Op.Wait)
        {
            return false;
        }
        _scope.Build(s, i);
        var t = _grammar.PickIdleThread(_scope);
        if (t < 0 || _scope.Threads[t].Name == st.Thread)
        {
            return false;
        }
        s[i] = st with { Thread = _scope.Threads[t].Name };
        return true;
    }

    /// <summary>
    /// Hands the split op at <paramref name="i"/>, with its wait, to another thread of its process that has no line from
    /// the op to its wait, or to a thread made for it just before the op. The thread it leaves is free inside the
    /// window: a CPU that accessed the op's pages before it is the one whose TLB entry the op may leave stale, and only
    /// a free thread on that CPU can write through it mid-operation.
    /// </summary>
    public bool HandOver(List<Statement> s, int i)
    {
        var op = s[i];
        var wait = WaitOf(s, i);
        if (wait == s.Count)
        {
            return false;
        }
        _scope.Build(s, i);
        // A mutant's earlier operators may have left the op on a thread not made yet: validation will reject it.
        var me = _scope.ThreadIndex(op.Thread);
        if (me < 0)
        {
            return false;
        }
        var process = _scope.Threads[me].Process;
        var chosen = -1;
        var seen = 0;
        for (var t = 0; t < _scope.Threads.Count; t++)
        {
            if (t != me && _scope.IsIdle(t) && _scope.Threads[t].Process == process && !RunsBetween(s, _scope.Threads[t].Name, i, wait) && _rng.Next(++seen) == 0)
            {
                chosen = t;
            }
        }
        if (chosen >= 0 && !_rng.Percent(FreshThreadPercent))
        {
            var to = _scope.Threads[chosen];
            s[i] = op with { Thread = to.Name };
            s[wait] = s[wait] with { Thread = to.Name };
            return true;
        }
        if (s.Count >= MaxStatements || ThreadCount(s) >= Grammar.MaxThreads)
        {
            return false;
        }
        var fresh = InsertThreadBefore(s, i);
        s[i + 1] = op with { Thread = fresh };
        s[wait + 1] = s[wait + 1] with { Thread = fresh };
        return true;
    }

    /// <summary>
    /// Inserts, just before line <paramref name="index"/> and on its thread, the creation of a new thread, and returns
    /// its name.
    /// </summary>
    private string InsertThreadBefore(List<Statement> s, int index)
    {
        _names.Reset(s);
        var fresh = _names.Fresh(ParamKind.Thread);
        s.Insert(index, Grammar.Make(s[index].Thread, fresh, Op.Thread, false, []));
        return fresh;
    }

    private static bool RunsBetween(List<Statement> s, string thread, int from, int to)
    {
        for (var k = from + 1; k < to; k++)
        {
            if (s[k].Thread == thread)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Turns a CPU access into another kind on the same word (load, store, pagemap): what a thread does at its place in
    /// the interleaving matters as much as the place, and a read that reached a state is one step from a write.
    /// </summary>
    public bool ChangeAccess(List<Statement> s)
    {
        var i = _rng.Next(s.Count);
        var st = s[i];
        if (st.Op is not (Op.Load or Op.Store or Op.Pagemap) || st.Split)
        {
            return false;
        }
        ReadOnlySpan<Op> others = st.Op switch
        {
            Op.Load => [Op.Store, Op.Pagemap],
            Op.Store => [Op.Load, Op.Pagemap],
            _ => [Op.Store, Op.Load],
        };
        var op = others[_rng.Next(2)];
        Arg[] args = op == Op.Store ? [st.Args[0], Arg.Num(_grammar.Value())] : [st.Args[0]];
        s[i] = Grammar.Make(st.Thread, null, op, false, args);
        return true;
    }

    /// <summary>Moves one line (a split op moves with its wait's distance kept valid by validation).</summary>
    private bool Move(List<Statement> s)
    {
        if (s.Count < 2)
        {
            return false;
        }
        var i = _rng.Next(s.Count);
        var st = s[i];
        s.RemoveAt(i);
        var j = _rng.Percent(40) ? Math.Clamp(i + (_rng.Percent(50) ? 1 : -1), 0, s.Count) : _rng.Next(s.Count + 1);
        s.Insert(j, st);
        return j != i;
    }

    /// <summary>
    /// Inserts a run of lines from another program. Its bindings get fresh names; names it uses but does not bind are
    /// mapped to resources of the same kind in scope here (the run is dropped if there are none); its threads map to
    /// threads it creates, else to an idle thread here.
    /// </summary>
    private bool Splice(List<Statement> s, ReadOnlySpan<Statement> donor)
    {
        if (donor.Length == 0)
        {
            return false;
        }
        var start = _rng.Next(donor.Length);
        var length = Math.Min(_rng.Between(1, 8), donor.Length - start);
        length = Math.Min(length, MaxStatements - s.Count);
        if (length <= 0)
        {
            return false;
        }
        var position = _rng.Next(s.Count + 1);
        _scope.Build(s, position);
        _names.Reset(s);
        var map = _spliceNames;
        map.Clear();
        var idle = _grammar.PickIdleThread(_scope);
        if (idle < 0)
        {
            return false;
        }
        var run = _spliced;
        run.Clear();
        for (var i = start; i < start + length; i++)
        {
            var st = donor[i];
            if (!map.TryGetValue(st.Thread, out var thread))
            {
                thread = st.Thread == Statement.MainThread && _scope.IsIdle(0) ? Statement.MainThread : _scope.Threads[idle].Name;
                map[st.Thread] = thread;
            }
            var args = st.Args.ToArray();
            for (var k = 0; k < args.Length; k++)
            {
                if (args[k].Form != ArgForm.Name || args[k].Name is not { } name)
                {
                    continue;
                }
                if (!map.TryGetValue(name, out var mapped))
                {
                    mapped = MapForeign(st.Info.Params[k], name);
                    if (mapped is null)
                    {
                        return false;
                    }
                    map[name] = mapped;
                }
                args[k] = args[k].Form == ArgForm.Name ? Arg.Ref(mapped, args[k].Number) : args[k];
            }
            string? binding = null;
            if (st.Binding is not null)
            {
                binding = _names.Fresh(st.Op is Op.Fork or Op.Thread ? ParamKind.Thread : st.Split ? ParamKind.Handle : st.Info.Result ?? ParamKind.Handle);
                map[st.Binding] = binding;
            }
            run.Add(Grammar.Make(thread, binding, st.Op, st.Split, args));
        }
        s.InsertRange(position, run);
        return true;
    }

    private string? MapForeign(ParamKind kind, string name)
    {
        if (kind == ParamKind.Thread)
        {
            return name == Statement.MainThread ? name : _scope.Threads[_rng.Next(_scope.Threads.Count)].Name;
        }
        var n = _scope.CountKind(kind);
        if (n == 0 || kind == ParamKind.Handle)
        {
            return null;
        }
        var chosen = _scope.NthOfKind(kind, _rng.Next(n));
        return chosen >= 0 ? _scope.Resources[chosen].Name : null;
    }

    /// <summary>Turns a split op back into an atomic one and drops its wait.</summary>
    private bool Unsplit(List<Statement> s)
    {
        var start = _rng.Next(s.Count);
        for (var n = 0; n < s.Count; n++)
        {
            var i = (start + n) % s.Count;
            if (s[i].Op == Op.Wait)
            {
                return UnsplitWait(s, i);
            }
        }
        return false;
    }

    public static bool UnsplitWait(List<Statement> s, int waitIndex)
    {
        var handle = s[waitIndex].Args[0].Name;
        for (var i = waitIndex - 1; i >= 0; i--)
        {
            if (s[i].Split && s[i].Binding == handle)
            {
                var st = s[i];
                s[i] = st with { Split = false, Binding = st.Info.Result is null ? null : st.Binding };
                s.RemoveAt(waitIndex);
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Appends observations of what the program did, so the oracle checks each effect whichever way it went wrong:
    /// a load of every written word from each process that maps it (on a random idle thread of that process, as
    /// TLBs are per thread), its soft-dirty bit, a dma_read through every pin that covers it or that the device wrote
    /// through, and a read of every pipe that holds spliced pages; first, a load of each word a store overwrites, just
    /// before it. At most <see cref="MaxObservations"/> lines, and none past <paramref name="limit"/> lines in all.
    /// </summary>
    public bool ObserveWrites(List<Statement> s, int limit)
    {
        const int max = MaxObservations;
        var added = ObserveBeforeOverwrites(s, max / 2, limit);
        _scope.Build(s, s.Count);
        var seen = _observed;
        seen.Clear();
        for (var i = 0; i < s.Count && added < max && s.Count < limit; i++)
        {
            var st = s[i];
            if (st.Op == Op.Vmsplice && st.Args[0].Name is { } pipe && seen.Add((pipe, -1)))
            {
                var p = _scope.ResourceIndex(pipe);
                var t = p < 0 ? -1 : IdleThreadOf(_scope.Resources[p].Process);
                if (t >= 0)
                {
                    added += Add(s, limit, t, Op.Read, [Arg.Ref(pipe), st.Args[2]]);
                }
                continue;
            }
            if (st.Op == Op.DmaWrite && st.Args[0].Name is { } pin && seen.Add((pin, st.Args[1].Number)))
            {
                var t = _grammar.PickIdleThread(_scope);
                if (t >= 0)
                {
                    added += Add(s, limit, t, Op.DmaRead, [st.Args[0], st.Args[1]]);
                }
                continue;
            }
            if (st.Op is not (Op.Store or Op.Memset) || st.Args[0].Name is not { } name || !seen.Add((name, st.Args[0].Number)))
            {
                continue;
            }
            var r = _scope.ResourceIndex(name);
            if (r < 0)
            {
                continue;
            }
            var offset = st.Args[0].Number;
            var paged = false;
            for (var process = 0; process < _scope.ProcessCount && added < max; process++)
            {
                var t = (_scope.Resources[r].Holders & (1UL << process)) != 0 ? IdleThreadOf(process) : -1;
                if (t < 0)
                {
                    continue;
                }
                added += Add(s, limit, t, Op.Load, [Arg.Ref(name, offset)]);
                if (!paged)
                {
                    paged = true;
                    added += Add(s, limit, t, Op.Pagemap, [Arg.Ref(name, offset)]);
                }
            }
            for (var k = 0; k < i && added < max; k++)
            {
                var pinned = s[k];
                if (pinned.Op == Op.Pin && pinned.Binding is { } h && pinned.Args[0].Name == name
                    && offset >= pinned.Args[0].Number && offset - pinned.Args[0].Number < pinned.Args[1].Number)
                {
                    var t = _grammar.PickIdleThread(_scope);
                    if (t >= 0)
                    {
                        added += Add(s, limit, t, Op.DmaRead, [Arg.Ref(h), Arg.Num(offset - pinned.Args[0].Number)]);
                    }
                }
            }
        }
        return added > 0;
    }

    /// <summary>
    /// A lost write shows only until the word is written again: before each store or memset over a word an earlier store
    /// or memset wrote, a load of that word by an idle thread of the overwriting process. Returns the lines added.
    /// </summary>
    private int ObserveBeforeOverwrites(List<Statement> s, int max, int limit)
    {
        var added = 0;
        // From the end: an insertion moves only the lines after it, which are done.
        for (var j = s.Count - 1; j > 0 && added < max && s.Count < limit; j--)
        {
            var st = s[j];
            if (st.Args.Length == 0 || st.Args[0].Name is not { } name || OverwrittenWord(s, j, name) is not { } word)
            {
                continue;
            }
            _scope.Build(s, j);
            var writer = _scope.ThreadIndex(st.Thread);
            var t = writer < 0 ? -1 : IdleThreadOf(_scope.Threads[writer].Process);
            if (t >= 0)
            {
                s.Insert(j, Grammar.Make(_scope.Threads[t].Name, null, Op.Load, false, [Arg.Ref(name, word)]));
                added++;
            }
        }
        return added;
    }

    /// <summary>
    /// The offset in <paramref name="name"/> of a word the store or memset at <paramref name="index"/> writes over after
    /// an earlier line wrote it, or null. For a memset, the word the latest such line wrote (the start of the overlap
    /// when that line is a memset too): a memset wipes whatever a racing store left, as a store does its own word.
    /// </summary>
    private static long? OverwrittenWord(List<Statement> s, int index, string name)
    {
        var over = s[index];
        if (over.Op is not (Op.Store or Op.Memset))
        {
            return null;
        }
        var (start, end) = Written(over);
        for (var i = index - 1; i >= 0; i--)
        {
            var st = s[i];
            if (st.Op is not (Op.Store or Op.Memset) || st.Args[0].Name != name)
            {
                continue;
            }
            var (from, to) = Written(st);
            if (from < end && start < to)
            {
                return Math.Max(from, start);
            }
        }
        return null;
    }

    /// <summary>The offsets a store (its word, counted as one) or a memset writes, end excluded.</summary>
    private static (long From, long To) Written(Statement st) =>
        (st.Args[0].Number, st.Args[0].Number + (st.Op == Op.Store ? 1 : st.Args[1].Number));

    private int Add(List<Statement> s, int limit, int thread, Op op, Arg[] args)
    {
        if (s.Count >= limit)
        {
            return 0;
        }
        s.Add(Grammar.Make(_scope.Threads[thread].Name, null, op, false, args));
        return 1;
    }

    private int IdleThreadOf(int process)
    {
        var n = 0;
        for (var t = 0; t < _scope.Threads.Count; t++)
        {
            n += _scope.IsIdle(t) && _scope.Threads[t].Process == process ? 1 : 0;
        }
        if (n == 0)
        {
            return -1;
        }
        var pick = _rng.Next(n);
        for (var t = 0; t < _scope.Threads.Count; t++)
        {
            if (_scope.IsIdle(t) && _scope.Threads[t].Process == process && pick-- == 0)
            {
                return t;
            }
        }
        return -1;
    }

    /// <summary>Makes a splittable atomic op split, with its wait before its thread's next line.</summary>
    private bool SplitOne(List<Statement> s)
    {
        var i = _rng.Next(s.Count);
        var st = s[i];
        if (!st.Info.Splittable || st.Split)
        {
            return false;
        }
        _names.Reset(s);
        s[i] = st with { Split = true, Binding = st.Binding ?? _names.Fresh(ParamKind.Handle) };
        PlaceWait(s, i);
        return true;
    }

    /// <summary>Runs every line of one created thread on the thread that created it, and drops the creation.</summary>
    public static bool FoldThread(List<Statement> s, int creation)
    {
        var st = s[creation];
        if (st.Op is not (Op.Fork or Op.Thread) || st.Binding is not { } child)
        {
            return false;
        }
        var parent = st.Thread;
        s.RemoveAt(creation);
        for (var i = creation; i < s.Count; i++)
        {
            var line = s[i];
            var renamed = line.Thread == child ? line with { Thread = parent } : line;
            var args = renamed.Args;
            for (var k = 0; k < args.Length; k++)
            {
                if (args[k].Form == ArgForm.Name && args[k].Name == child)
                {
                    var copy = args.ToArray();
                    copy[k] = Arg.Ref(parent);
                    renamed = renamed with { Args = [.. copy] };
                    args = renamed.Args;
                }
            }
            s[i] = renamed;
        }
        return true;
    }

    private bool FoldThread(List<Statement> s)
    {
        var start = _rng.Next(s.Count);
        for (var n = 0; n < s.Count; n++)
        {
            var i = (start + n) % s.Count;
            if (s[i].Op is Op.Fork or Op.Thread)
            {
                return FoldThread(s, i);
            }
        }
        return false;
    }
}
