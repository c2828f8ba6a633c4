using System.Numerics;
using System.Runtime.InteropServices;
using FuzzFarm.Programs;

namespace FuzzFarm.Fuzzing;

/// <summary>Which calls <see cref="Grammar.EmitCall"/> may draw.</summary>
internal enum CallMix
{
    Any,
    /// <summary>Observations only (load, read, dma_read, process_vm_readv, pagemap).</summary>
    Observation,
    /// <summary>
    /// Calls that act on memory that exists (inside another op's window): no new resource, no observation that leaves
    /// the CPU's TLB alone, and split more often, so that windows nest.
    /// </summary>
    Racing,
}

/// <summary>
/// The resource-aware grammar (in the manner of syzkaller's descriptions): builds one valid call for a thread that
/// can run at a position, taking its address from a mapping the thread's process holds, its pipe, pin, file or uffd
/// from an earlier binding (creating one first when none exists; a uffd_wp range mostly from a registration), and
/// sizes that matter to the memory manager
/// (base pages, 2 MiB huge pages, words). It knows the vocabulary, never any bug scenario.
/// </summary>
internal sealed class Grammar
{
    /// <summary>Split percentage, at least, of a racing call that can split.</summary>
    private const int RacingSplitPercent = 50;

    public const int MaxThreads = 6;
    private const int MaxProcesses = 4;

    private readonly Rng _rng;
    private readonly List<int> _candidates = new(16);

    /// <summary>While building a call: the address resource to prefer (a window's mapping), or -1.</summary>
    private int _focus = -1;

    /// <summary>While building a call: it is a <see cref="CallMix.Racing"/> one.</summary>
    private bool _racing;

    public Grammar(Rng rng)
    {
        _rng = rng;
    }

    /// <summary>Ops that observe memory: the ones the oracle checks.</summary>
    public static bool IsObservation(Op op) => op is Op.Load or Op.Read or Op.DmaRead or Op.ProcessVmReadv or Op.Pagemap;

    /// <summary>
    /// Appends one call (after any resource it needs) to <paramref name="output"/>, applying each to
    /// <paramref name="scope"/>, whose next statement index is <paramref name="index"/>. Returns false when no thread
    /// can run here. A split call leaves its thread busy in the scope: the caller places the wait. With
    /// <paramref name="focus"/>, the call mostly takes its address from that mapping; with <paramref name="onThread"/>
    /// (an idle thread's index), it runs there.
    /// </summary>
    public bool EmitCall(Scope scope, NameSet names, List<Statement> output, int index, CallMix mix = CallMix.Any, int focus = -1,
        int onThread = -1)
    {
        var thread = onThread >= 0 && scope.IsIdle(onThread) ? onThread : PickIdleThread(scope);
        if (thread < 0)
        {
            return false;
        }
        var ctx = new Emitter(scope, names, output, index);
        var op = PickOp(scope, thread, mix);
        if (op is null)
        {
            return false;
        }
        _focus = focus;
        _racing = mix == CallMix.Racing;
        Build(ref ctx, op.Value, thread);
        _focus = -1;
        _racing = false;
        return true;
    }

    /// <summary>A wait for the split op bound to resource <paramref name="handle"/>, on the thread that started it.</summary>
    public static Statement Wait(Scope scope, int handle)
    {
        var r = scope.Resources[handle];
        return Make(scope.Threads[r.WaitingThread].Name, null, Op.Wait, false, [Arg.Ref(r.Name)]);
    }

    public int PickIdleThread(Scope scope)
    {
        _candidates.Clear();
        for (var i = 0; i < scope.Threads.Count; i++)
        {
            if (scope.IsIdle(i))
            {
                _candidates.Add(i);
            }
        }
        return _candidates.Count == 0 ? -1 : _candidates[_rng.Next(_candidates.Count)];
    }

    private Op? PickOp(Scope scope, int thread, CallMix mix)
    {
        var addresses = scope.CountKind(ParamKind.Address);
        var pipes = scope.CountKind(ParamKind.Pipe);
        var pins = scope.CountKind(ParamKind.Pin);
        var uffds = scope.CountKind(ParamKind.Uffd);
        var files = scope.CountKind(ParamKind.File);
        var has = addresses > 0 ? 1 : 0;
        var process = scope.Threads[thread].Process;
        // On the stack: a constant size is zeroed inline, where clearing an array's span was a call.
        Span<int> w = stackalloc int[(int)Op.Wait + 1];
        w[(int)Op.Load] = 7 * has;
        w[(int)Op.Read] = pipes > 0 ? 5 : 0;
        w[(int)Op.DmaRead] = pins > 0 ? 4 : 0;
        w[(int)Op.ProcessVmReadv] = 2 * has;
        w[(int)Op.Pagemap] = 2 * has;
        if (mix != CallMix.Observation)
        {
            w[(int)Op.Mmap] = addresses == 0 ? 30 : addresses < 5 ? 7 : 1;
            w[(int)Op.Munmap] = 3 * has;
            w[(int)Op.Mprotect] = 4 * has;
            w[(int)Op.Madvise] = 6 * has;
            w[(int)Op.Store] = 16 * has;
            w[(int)Op.Memset] = 2 * has;
            w[(int)Op.Fork] = scope.ProcessCount < MaxProcesses && scope.Threads.Count < MaxThreads ? 5 : 0;
            w[(int)Op.Thread] = scope.Threads.Count < MaxThreads ? 3 : 0;
            w[(int)Op.Exit] = process != 0 && !scope.ProcessBusy(process) ? 3 : 0;
            w[(int)Op.Pipe] = pipes < 2 ? 1 : 0;
            w[(int)Op.Vmsplice] = 5 * has;
            w[(int)Op.Pin] = pins < 3 ? 4 * has : 0;
            w[(int)Op.Unpin] = pins > 0 ? 2 : 0;
            w[(int)Op.DmaWrite] = pins > 0 ? 3 : 0;
            w[(int)Op.File] = files < 2 ? 1 : 0;
            w[(int)Op.PreadDirect] = 3 * has;
            w[(int)Op.Write] = 2 * has;
            w[(int)Op.ClearRefs] = 3;
            w[(int)Op.Uffd] = uffds == 0 ? 1 : 0;
            w[(int)Op.UffdRegister] = 2 * has;
            w[(int)Op.UffdWp] = uffds > 0 ? 3 * has : 0;
            w[(int)Op.UffdResolve] = uffds > 0 ? 2 : 0;
        }
        if (mix == CallMix.Racing)
        {
            foreach (var op in (ReadOnlySpan<Op>)[Op.Mmap, Op.Thread, Op.Pipe, Op.File, Op.Uffd, Op.Read, Op.DmaRead, Op.Pagemap])
            {
                w[(int)op] = 0;
            }
        }
        var total = Sum(w);
        return total == 0 ? null : (Op)_rng.PickWeighted(w, total);
    }

    /// <summary>The sum of the op weights, a vector at a time: a scalar loop was a fifth of the weighing.</summary>
    private static int Sum(ReadOnlySpan<int> weights)
    {
        var lanes = Vector<int>.Count;
        var sum = Vector<int>.Zero;
        var k = 0;
        for (; k + lanes <= weights.Length; k += lanes)
        {
            sum += new Vector<int>(weights[k..]);
        }
        var total = Vector.Sum(sum);
        for (; k < weights.Length; k++)
        {
            total += weights[k];
        }
        return total;
    }

    private void Build(ref Emitter e, Op op, int thread)
    {
        var s = e.Scope;
        var tn = s.Threads[thread].Name;
        switch (op)
        {
            case Op.Mmap:
                EmitMmap(ref e, thread);
                break;
            case Op.Munmap:
            {
                var a = PickAddress(s, thread);
                var (off, len) = PickRange(s.Resources[a]);
                e.Emit(tn, null, op, false, [Arg.Ref(s.Resources[a].Name, off), Arg.Num(len)]);
                break;
            }
            case Op.Mprotect:
            {
                var a = PickAddress(s, thread);
                var (off, len) = PickRange(s.Resources[a]);
                var prot = _rng.Percent(55) ? Flag.R : _rng.Percent(75) ? Flag.Rw : Flag.ProtNone;
                EmitMaybeSplit(ref e, tn, op, 35, [Arg.Ref(s.Resources[a].Name, off), Arg.Num(len), Arg.Of(prot)]);
                break;
            }
            case Op.Madvise:
            {
                var a = PickAddress(s, thread);
                var (off, len) = PickRange(s.Resources[a]);
                ReadOnlySpan<Flag> advice = [Flag.HugePage, Flag.PageOut, Flag.DontNeed, Flag.DontFork, Flag.NoHugePage, Flag.DoFork];
                var advise = advice[_rng.PickWeighted([25, 25, 16, 14, 10, 10])];
                e.Emit(tn, null, op, false, [Arg.Ref(s.Resources[a].Name, off), Arg.Num(len), Arg.Of(advise)]);
                break;
            }
            case Op.Store:
            {
                var a = PickAddress(s, thread);
                EmitMaybeSplit(ref e, tn, op, 30, [Arg.Ref(s.Resources[a].Name, PickWord(s.Resources[a])), Arg.Num(Value())]);
                break;
            }
            case Op.Memset:
            {
                var a = PickAddress(s, thread);
                var (off, len) = PickDataRange(s.Resources[a]);
                e.Emit(tn, null, op, false, [Arg.Ref(s.Resources[a].Name, off), Arg.Num(len), Arg.Num(Value())]);
                break;
            }
            case Op.Load:
            case Op.Pagemap:
            {
                var a = PickAddress(s, thread);
                e.Emit(tn, null, op, false, [Arg.Ref(s.Resources[a].Name, PickWord(s.Resources[a]))]);
                break;
            }
            case Op.Fork:
            case Op.Thread:
                e.Emit(tn, e.Names.Fresh(ParamKind.Thread), op, false, []);
                break;
            case Op.Exit:
                e.Emit(tn, null, op, false, []);
                break;
            case Op.Pipe:
                e.Emit(tn, e.Names.Fresh(ParamKind.Pipe), op, false, []);
                break;
            case Op.Vmsplice:
            {
                var p = PickOrCreate(ref e, ParamKind.Pipe, thread, 25);
                var a = PickAddress(s, thread);
                var (off, len) = PickDataRange(s.Resources[a]);
                e.Emit(tn, null, op, false, [Arg.Ref(s.Resources[p].Name), Arg.Ref(s.Resources[a].Name, off), Arg.Num(len)]);
                break;
            }
            case Op.Read:
            {
                var p = PickExisting(s, ParamKind.Pipe);
                e.Emit(tn, null, op, false, [Arg.Ref(s.Resources[p].Name), Arg.Num(DataLength())]);
                break;
            }
            case Op.Pin:
            {
                var a = PickAddress(s, thread);
                var (off, len) = PickDataRange(s.Resources[a]);
                var flags = _rng.Percent(50) ? Flag.Rw : Flag.R;
                if (_rng.Percent(45))
                {
                    flags |= Flag.LongTerm;
                }
                if (_rng.Percent(30))
                {
                    flags |= Flag.Fast;
                }
                e.Emit(tn, e.Names.Fresh(ParamKind.Pin), op, false, [Arg.Ref(s.Resources[a].Name, off), Arg.Num(len), Arg.Of(flags)]);
                break;
            }
            case Op.Unpin:
            {
                var h = PickExisting(s, ParamKind.Pin);
                e.Emit(tn, null, op, false, [Arg.Ref(s.Resources[h].Name)]);
                break;
            }
            case Op.DmaWrite:
            case Op.DmaRead:
            {
                var h = PickExisting(s, ParamKind.Pin);
                var off = PickWord(s.Resources[h]);
                Arg[] args = op == Op.DmaWrite
                    ? [Arg.Ref(s.Resources[h].Name), Arg.Num(off), Arg.Num(Value())]
                    : [Arg.Ref(s.Resources[h].Name), Arg.Num(off)];
                e.Emit(tn, null, op, false, args);
                break;
            }
            case Op.File:
                EmitFile(ref e, tn);
                break;
            case Op.PreadDirect:
            case Op.Write:
            {
                var f = PickOrCreate(ref e, ParamKind.File, thread, 10);
                var a = PickAddress(s, thread);
                var (off, len) = PickDataRange(s.Resources[a]);
                var fileLen = Math.Max(s.Resources[f].Length, Sizes.Page);
                var foff = _rng.Percent(75) || fileLen <= Sizes.Page ? 0 : Sizes.Page * _rng.Next((int)Math.Min(fileLen / Sizes.Page, 512));
                Arg[] args = [Arg.Ref(s.Resources[f].Name), Arg.Num(foff), Arg.Ref(s.Resources[a].Name, off), Arg.Num(len)];
                if (op == Op.Write)
                {
                    e.Emit(tn, null, op, false, args);
                }
                else
                {
                    EmitMaybeSplit(ref e, tn, op, 50, args);
                }
                break;
            }
            case Op.ProcessVmReadv:
            {
                var target = PickOtherThread(s, thread);
                var a = PickAddress(s, target);
                var (off, len) = PickDataRange(s.Resources[a]);
                EmitMaybeSplit(ref e, tn, op, 40, [Arg.Ref(s.Threads[target].Name), Arg.Ref(s.Resources[a].Name, off), Arg.Num(len)]);
                break;
            }
            case Op.ClearRefs:
            {
                var target = _rng.Percent(65) ? thread : PickOtherThread(s, thread);
                EmitMaybeSplit(ref e, tn, op, 40, [Arg.Ref(s.Threads[target].Name)]);
                break;
            }
            case Op.Uffd:
                e.Emit(tn, e.Names.Fresh(ParamKind.Uffd), op, false, []);
                break;
            case Op.UffdRegister:
            case Op.UffdWp:
            {
                // uffd_wp on a range nobody registered only fails (ENOENT): mostly protect a registered one.
                var registered = op == Op.UffdWp && !_rng.OneIn(5) ? PickRegistered(s, thread) : -1;
                var u = registered >= 0 ? s.ResourceIndex(s.Resources[registered].Uffd!) : PickOrCreate(ref e, ParamKind.Uffd, thread, 0);
                var a = registered >= 0 ? registered : PickAddress(s, thread);
                var (off, len) = PickRange(s.Resources[a]);
                if (op == Op.UffdRegister)
                {
                    e.Emit(tn, null, op, false, [Arg.Ref(s.Resources[u].Name), Arg.Ref(s.Resources[a].Name, off), Arg.Num(len)]);
                }
                else
                {
                    var mode = _rng.Percent(60) ? Flag.On : Flag.Off;
                    EmitMaybeSplit(ref e, tn, op, 40,
                        [Arg.Ref(s.Resources[u].Name), Arg.Ref(s.Resources[a].Name, off), Arg.Num(len), Arg.Of(mode)]);
                }
                break;
            }
            case Op.UffdResolve:
            {
                var u = PickExisting(s, ParamKind.Uffd);
                e.Emit(tn, null, op, false, [Arg.Ref(s.Resources[u].Name)]);
                break;
            }
            default:
                throw new InvalidOperationException($"the grammar does not build {op}");
        }
    }

    private void EmitMmap(ref Emitter e, int thread)
    {
        var tn = e.Scope.Threads[thread].Name;
        var hugetlb = _rng.Percent(12);
        var len = hugetlb
            ? (_rng.OneIn(4) ? 2 * Sizes.Huge : Sizes.Huge)
            : Sizes.MapLengths[_rng.PickWeighted(Sizes.MapLengthWeights)];
        var prot = _rng.Percent(85) ? Flag.Rw : _rng.Percent(60) ? Flag.R : Flag.ProtNone;
        var flags = _rng.Percent(80) ? Flag.Private : Flag.Shared;
        if (_rng.Percent(12))
        {
            flags |= Flag.Populate;
        }
        if (hugetlb)
        {
            flags |= Flag.Hugetlb;
        }
        var name = e.Names.Fresh(ParamKind.Address);
        e.Emit(tn, name, Op.Mmap, false, [Arg.Num(len), Arg.Of(prot), Arg.Of(flags)]);
        // A mapping is mostly interesting once used: ask for huge pages where they fit, and fault it in.
        if (len >= Sizes.Huge && !hugetlb && _rng.Percent(50))
        {
            e.Emit(tn, null, Op.Madvise, false, [Arg.Ref(name), Arg.Num(len), Arg.Of(Flag.HugePage)]);
        }
        if (prot == Flag.Rw && _rng.Percent(50))
        {
            e.Emit(tn, null, Op.Store, false, [Arg.Ref(name), Arg.Num(Value())]);
        }
    }

    private void EmitFile(ref Emitter e, string tn)
    {
        var len = _rng.Percent(70) ? Sizes.Page : _rng.Percent(50) ? 2 * Sizes.Page : Sizes.Huge;
        e.Emit(tn, e.Names.Fresh(ParamKind.File), Op.File, false, [Arg.Num(len)]);
    }

    private void EmitMaybeSplit(ref Emitter e, string tn, Op op, int percent, Arg[] args)
    {
        // A split only matters if another thread can run inside the window.
        var split = e.Scope.CountIdle() > 1 && _rng.Percent(_racing ? Math.Max(percent, RacingSplitPercent) : percent);
        var binds = split || OpTable.Get(op).Result is not null;
        e.Emit(tn, binds ? e.Names.Fresh(ParamKind.Handle) : null, op, split, args);
    }

    private int PickOrCreate(ref Emitter e, ParamKind kind, int thread, int createPercent)
    {
        var count = e.Scope.CountKind(kind);
        if (count == 0 || _rng.Percent(createPercent))
        {
            var tn = e.Scope.Threads[thread].Name;
            if (kind == ParamKind.File)
            {
                EmitFile(ref e, tn);
            }
            else
            {
                var op = kind switch
                {
                    ParamKind.Pipe => Op.Pipe,
                    ParamKind.Uffd => Op.Uffd,
                    _ => throw new InvalidOperationException($"cannot create a {kind}"),
                };
                e.Emit(tn, e.Names.Fresh(kind), op, false, []);
            }
            return e.Scope.Resources.Count - 1;
        }
        return PickExisting(e.Scope, kind);
    }

    private int PickExisting(Scope s, ParamKind kind)
    {
        var i = s.NthOfKind(kind, _rng.Next(s.CountKind(kind)));
        return i >= 0 ? i : throw new InvalidOperationException($"no {kind} in scope");
    }

    /// <summary>A mapping the thread's process holds that is registered with a userfaultfd of that process, or -1.</summary>
    private int PickRegistered(Scope s, int thread)
    {
        var process = s.Threads[thread].Process;
        _candidates.Clear();
        var resources = CollectionsMarshal.AsSpan(s.Resources);
        for (var i = 0; i < resources.Length; i++)
        {
            ref readonly var r = ref resources[i];
            if (r.Kind == ParamKind.Address && r.Uffd is { } u && (r.Holders & (1UL << process)) != 0
                && s.ResourceIndex(u) is var k && k >= 0 && s.Resources[k].Process == process)
            {
                _candidates.Add(i);
            }
        }
        return _candidates.Count == 0 ? -1 : _candidates[_rng.Next(_candidates.Count)];
    }

    /// <summary>An address resource, mostly one the thread's process maps (the focus, when it has one and can).</summary>
    public int PickAddress(Scope s, int thread)
    {
        var bit = 1UL << s.Threads[thread].Process;
        if (_focus >= 0 && _focus < s.Resources.Count && (s.Resources[_focus].Holders & bit) != 0 && !_rng.OneIn(5))
        {
            return _focus;
        }
        _candidates.Clear();
        var any = -1;
        // Read in place: an indexer's copy of a resource was a whole struct per look.
        var resources = CollectionsMarshal.AsSpan(s.Resources);
        for (var i = 0; i < resources.Length; i++)
        {
            if (resources[i].Kind != ParamKind.Address)
            {
                continue;
            }
            any = i;
            if ((resources[i].Holders & bit) != 0)
            {
                _candidates.Add(i);
            }
        }
        if (_candidates.Count > 0 && !_rng.OneIn(8))
        {
            return _candidates[_rng.Next(_candidates.Count)];
        }
        return any < 0 ? throw new InvalidOperationException("no address in scope") : PickExisting(s, ParamKind.Address);
    }

    private int PickOtherThread(Scope s, int thread)
    {
        _candidates.Clear();
        for (var i = 0; i < s.Threads.Count; i++)
        {
            if (i != thread && s.Threads[i].Alive)
            {
                _candidates.Add(i);
            }
        }
        return _candidates.Count == 0 ? thread : _candidates[_rng.Next(_candidates.Count)];
    }

    /// <summary>A byte range of a mapping or pin: the whole of it, one page, one huge page, or a run of pages.</summary>
    public (long Offset, long Length) PickRange(in Resource r)
    {
        var length = r.Length > 0 ? r.Length : Sizes.Page;
        var unit = (r.Flags & Flag.Hugetlb) != 0 ? Sizes.Huge : Sizes.Page;
        var units = Math.Max(1, length / unit);
        var roll = _rng.Next(100);
        if (roll < 45 || units == 1)
        {
            return (0, length);
        }
        if (roll < 75)
        {
            var page = PickUnit(units);
            return (page * unit, unit);
        }
        if (roll < 85 && length >= 2 * Sizes.Huge)
        {
            var huge = _rng.Next((int)(length / Sizes.Huge));
            return (huge * Sizes.Huge, Sizes.Huge);
        }
        var first = PickUnit(units);
        var count = 1 + _rng.Next((int)Math.Min(units - first, 8));
        return (first * unit, count * unit);
    }

    /// <summary>
    /// A range for an op that touches every word of it (memset, pipes, I/O, pins): mostly a word, a sector or a page,
    /// rarely the whole mapping, because the machine's cost grows with the words touched and a page shows every effect
    /// a huge page would (the page kind comes from the mapping, not from the length).
    /// </summary>
    public (long Offset, long Length) PickDataRange(in Resource r)
    {
        var length = r.Length > 0 ? r.Length : Sizes.Page;
        var offset = PickUnit(Math.Max(1, length / Sizes.Page)) * Sizes.Page;
        var len = _rng.Percent(4) ? length - offset : DataLength();
        return (offset, Math.Min(len, length - offset));
    }

    private long DataLength() => Sizes.DataLengths[_rng.PickWeighted(Sizes.DataLengthWeights)];

    /// <summary>A word offset inside a mapping or pin: mostly the start of a page, sometimes a word inside it.</summary>
    public long PickWord(in Resource r)
    {
        var length = r.Length > 0 ? r.Length : Sizes.Page;
        var page = PickUnit(Math.Max(1, length / Sizes.Page)) * Sizes.Page;
        var roll = _rng.Next(10);
        return roll < 7 ? page : roll < 9 ? page + Sizes.Word : page + Sizes.Page - Sizes.Word;
    }

    private long PickUnit(long units)
    {
        var roll = _rng.Next(10);
        return roll < 5 || units == 1 ? 0 : roll < 7 ? units - 1 : _rng.Next((int)Math.Min(units, 1024));
    }

    public long Value() => _rng.Between(1, 255);

    /// <summary>A new statement over <paramref name="args"/>, which must be a new array: the statement keeps it.</summary>
    public static Statement Make(string thread, string? binding, Op op, bool split, Arg[] args) =>
        new(thread, binding, op, ImmutableCollectionsMarshal.AsImmutableArray(args), split);

    /// <summary>Appends statements and keeps the scope in step with them.</summary>
    private ref struct Emitter(Scope scope, NameSet names, List<Statement> output, int index)
    {
        public readonly Scope Scope = scope;
        public readonly NameSet Names = names;
        private int _index = index;

        /// <summary>Appends a new statement.</summary>
        public void Emit(string thread, string? binding, Op op, bool split, Arg[] args)
        {
            var s = Make(thread, binding, op, split, args);
            output.Add(s);
            Scope.Apply(s, _index++);
        }
    }
}
