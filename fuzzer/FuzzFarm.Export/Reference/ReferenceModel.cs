using FuzzFarm.Programs;

namespace FuzzFarm.Export.Reference;

/// <summary>
/// The oracle's reference model (machine.md §3) run once over a program at export time: plain semantics, every process
/// owns its private memory outright, shared mappings are shared, a pin or an O_DIRECT read writes on its process's
/// behalf, vmsplice holds pages rather than copies. It decides which lines run, what each observation may read, and
/// rejects what user space cannot express or what the real kernel would kill the process for.
/// </summary>
internal sealed class ReferenceModel
{
    private const long Page = 4096;
    private const long Huge = 2L << 20;
    private const long MaxFileBytes = 64L << 20;

    private readonly Plan _plan;
    private readonly List<ModelProcess> _procs = [new(0)];
    private readonly Dictionary<int, ModelThread> _threads = [];
    private readonly Dictionary<int, long> _addresses = [];
    private readonly Dictionary<int, object> _resources = [];
    private readonly Dictionary<int, HashSet<int>> _holders = [];
    private long _seq;
    private long _nextAddress = 0x10_0000_0000;
    private Statement _s = null!;
    private PlannedStep _step = null!;

    private ReferenceModel(Program program)
    {
        _plan = new Plan(program);
        _threads[0] = new ModelThread(Statement.MainThread, 0);
    }

    public static Plan Run(Program program)
    {
        var model = new ReferenceModel(program);
        for (var i = 0; i < program.Statements.Length; i++)
        {
            model.Execute(program.Statements[i], program.Slots[i]);
        }
        return model._plan;
    }

    private void Execute(Statement s, LineSlots names)
    {
        _s = s;
        var thread = _threads[names.Thread];
        if (_procs[thread.Process].Exited || thread.Pending is not null || thread.Hung)
        {
            // machine.md §1: a line for a blocked or exited thread is skipped, not an error.
            _plan.SkippedLines.Add(s.Line);
            return;
        }
        _step = new PlannedStep(_plan.Steps.Count, s, names);
        _plan.Steps.Add(_step);
        var proc = _procs[thread.Process];
        switch (s.Op)
        {
            case Op.Mmap: Mmap(proc); break;
            case Op.Munmap: Munmap(proc); break;
            case Op.Mprotect: Mprotect(proc); break;
            case Op.Madvise: Madvise(proc); break;
            case Op.Store: CpuWrite(thread, [(Address(0), Tokens.Write(s.Line, 0))]); break;
            case Op.Memset: Memset(thread); break;
            case Op.Load: Load(proc); break;
            case Op.Fork: Fork(proc); break;
            case Op.Thread: _threads[names.Binding] = new ModelThread(s.Binding!, proc.Id); break;
            case Op.Exit: Exit(proc); break;
            case Op.Pipe: Open(names.Binding, new PipeState(), proc); _plan.PipeCapacity[names.Binding] = 0; break;
            case Op.Vmsplice: Vmsplice(proc); break;
            case Op.Read: PipeRead(proc); break;
            case Op.Pin: Pin(proc); break;
            case Op.Unpin: Held<PinState>(0, proc); _resources.Remove(names.First); break;
            case Op.DmaWrite: DmaWrite(proc); break;
            case Op.DmaRead: DmaRead(proc); break;
            case Op.File: NewFile(proc); break;
            case Op.PreadDirect: PreadDirect(proc); break;
            case Op.Write: FileWrite(proc); break;
            case Op.ProcessVmReadv: ProcessVmReadv(); break;
            case Op.ClearRefs: ClearRefs(); break;
            case Op.Pagemap: Pagemap(proc); break;
            case Op.Uffd: _plan.Needs |= Features.Uffd; _resources[names.Binding] = new UffdState(proc.Id, names.Thread); break;
            case Op.UffdRegister: UffdRegister(proc); break;
            case Op.UffdWp: UffdWp(proc); break;
            case Op.UffdResolve: UffdResolve(proc); break;
            case Op.Wait: break;
            default: throw Cannot($"{s.Info.Name} has no export");
        }
    }

    // ---- memory ----

    private void Mmap(ModelProcess proc)
    {
        var len = Number(0);
        var prot = _s.Args[1].Flags;
        var flags = _s.Args[2].Flags;
        var hugetlb = (flags & Flag.Hugetlb) != 0;
        if (len <= 0)
        {
            throw Cannot("mmap of an empty length fails with EINVAL");
        }
        if (hugetlb)
        {
            _plan.Needs |= Features.Hugetlb;
        }
        var size = RoundUp(len, hugetlb ? Huge : Page);
        var start = _nextAddress;
        _nextAddress = RoundUp(start + size, Huge) + Huge;
        proc.Vmas.Add(new Vma(start, start + size, prot, (flags & Flag.Shared) != 0, hugetlb, false, new MemObject(), start));
        _addresses[_step.Slots.Binding] = start;
        if ((flags & Flag.Populate) != 0)
        {
            Touch(proc, start, start + size);
        }
    }

    /// <summary>
    /// A range argument as the kernel takes it: the length rounded to base pages, a hugetlb one not widened (each op
    /// says what it does where the end cuts a hugetlb mapping off its grid).
    /// </summary>
    private (long Start, long End) Range(ModelProcess proc, int addrArg, long len)
    {
        var start = Address(addrArg);
        var huge = proc.Find(start)?.Hugetlb ?? false;
        if (start % (huge ? Huge : Page) != 0)
        {
            throw Cannot($"{_s.Info.Name} needs a page-aligned address");
        }
        if (len <= 0)
        {
            throw Cannot($"{_s.Info.Name} of an empty length is not exported (EINVAL for munmap and the userfaultfd ioctls, nothing done for mprotect and madvise)");
        }
        return (start, start + RoundUp(len, Page));
    }

    private void Munmap(ModelProcess proc)
    {
        // A hugetlb mapping the end cuts off its 2M grid cannot be split there (hugetlb_vm_op_split), and munmap fails
        // with EINVAL before it unmaps anything.
        var (start, end) = Range(proc, 0, Number(1));
        if (HugetlbCutAt(proc, end) is not null)
        {
            _step.Errno = "EINVAL";
            return;
        }
        proc.Unmap(start, end);
        proc.Touched.RemoveWhere(p => p >= start && p < end);
        foreach (var u in Uffds(proc))
        {
            u.Forget(start, end);
        }
    }

    private void Mprotect(ModelProcess proc)
    {
        var (start, end) = Range(proc, 0, Number(1));
        var prot = _s.Args[2].Flags;
        // do_mprotect_pkey changes mapping after mapping and stops at the first hole with ENOMEM, keeping what it
        // changed; an unmapped start changes nothing. A hugetlb mapping the end cuts off its 2M grid cannot be split
        // there: unless it already has the protection (mprotect_fixup then leaves it whole), the mappings before it
        // keep their change and the call fails with EINVAL.
        var mapped = proc.MappedEnd(start, end);
        if (mapped < end)
        {
            _step.Errno = "ENOMEM";
        }
        else if (HugetlbCutAt(proc, end) is { } cut)
        {
            mapped = Math.Max(start, cut.Start);
            _step.Errno = cut.Prot == prot ? null : "EINVAL";
        }
        if (mapped > start)
        {
            proc.Change(start, mapped, v => v with { Prot = prot });
        }
    }

    private void Madvise(ModelProcess proc)
    {
        var (start, end) = Range(proc, 0, Number(1));
        // madvise_walk_vmas advises every mapping in the range and reports a hole at the end with ENOMEM.
        if (!proc.Covers(start, end))
        {
            _step.Errno = "ENOMEM";
        }
        if (HugetlbCutAt(proc, end) is not null)
        {
            // A current kernel (6.1+, madvise_dontneed_free_valid_vma) aligns a hugetlb range's end down to whole
            // huge pages for MADV_DONTNEED; any other advice would split the mapping off its grid.
            end = _s.Args[2].Flags == Flag.DontNeed ? end & ~(Huge - 1)
                : throw Cannot("madvise other than dontneed ending inside a hugetlb mapping off its 2M grid is not exported");
        }
        switch (_s.Args[2].Flags)
        {
            case Flag.DontFork: proc.Change(start, end, v => v with { DontFork = true }); break;
            case Flag.DoFork: proc.Change(start, end, v => v with { DontFork = false }); break;
            case Flag.HugePage: _plan.Needs |= Features.Thp; break;
            case Flag.PageOut: _plan.Needs |= Features.Swap; break;
            case Flag.DontNeed:
                {
                    // Private memory is discarded: the process reads fresh zeroes from a new page, while pins and
                    // pipes keep the old one. A shared mapping keeps its contents.
                    var fresh = new Dictionary<MemObject, MemObject>();
                    proc.Change(start, end, v => v.Shared ? v : v with { Object = Fresh(fresh, v.Object) });
                    proc.Touched.RemoveWhere(p => p >= start && p < end);
                    break;
                }
            default: break;
        }
    }

    private static MemObject Fresh(Dictionary<MemObject, MemObject> fresh, MemObject old)
    {
        if (!fresh.TryGetValue(old, out var f))
        {
            fresh[old] = f = new MemObject();
        }
        return f;
    }

    private void Memset(ModelThread thread)
    {
        var start = Address(0);
        var len = Number(1);
        if (start % 8 != 0 || len % 8 != 0 || len <= 0 || len / 8 >= Tokens.MaxWords)
        {
            throw Cannot("memset is exported word by word: it needs an 8-byte aligned address and length");
        }
        var words = new List<(long, ulong)>((int)(len / 8));
        for (long i = 0; i < len / 8; i++)
        {
            words.Add((start + (i * 8), Tokens.Write(_s.Line, i)));
        }
        CpuWrite(thread, words);
    }

    /// <summary>A CPU write: blocks on a write-protected page of its process's userfaultfd.</summary>
    private void CpuWrite(ModelThread thread, List<(long Addr, ulong Token)> words)
    {
        var proc = _procs[thread.Process];
        for (var i = 0; i < words.Count; i++)
        {
            var (addr, token) = words[i];
            var v = Writable(proc, addr);
            var blocker = Uffds(proc).FirstOrDefault(u => u.Blocks(addr));
            if (blocker is not null)
            {
                _step.Kind = StepKind.BlockingWrite;
                if (blocker.Handler == _step.Slots.Thread)
                {
                    _step.BlockedForever = true;
                    thread.Hung = true;
                    return;
                }
                thread.Pending = new PendingWrite(_step.Index, _s.Line, words.GetRange(i, words.Count - i));
                blocker.Waiting.Add(_step.Slots.Thread);
                return;
            }
            v.Object.Write(v.Word(addr), token, ++_seq);
            proc.PageWrites[addr & ~(Page - 1)] = _seq;
        }
    }

    private void Load(ModelProcess proc)
    {
        var addr = Address(0);
        if (addr % 8 != 0)
        {
            throw Cannot("load is exported as an 8-byte word: it needs an aligned address");
        }
        _step.Expect = [Own(Readable(proc, addr), addr)];
    }

    private static WordExpectation Own(Vma v, long addr)
    {
        var e = new WordExpectation();
        e.Want.Add(v.Object.Current(v.Word(addr)));
        e.History.UnionWith(v.Object.History(v.Word(addr)));
        return e;
    }

    // ---- processes ----

    private void Fork(ModelProcess parent)
    {
        var child = new ModelProcess(_procs.Count) { LastClearRefs = parent.LastClearRefs };
        var copies = new Dictionary<MemObject, MemObject>();
        foreach (var v in parent.Vmas.Where(v => !v.DontFork))
        {
            if (v.Shared)
            {
                child.Vmas.Add(v);
                continue;
            }
            if (!copies.TryGetValue(v.Object, out var copy))
            {
                copies[v.Object] = copy = v.Object.Clone();
            }
            child.Vmas.Add(v with { Object = copy });
        }
        foreach (var (page, seq) in parent.PageWrites)
        {
            child.PageWrites[page] = seq;
        }
        child.Touched.UnionWith(parent.Touched.Where(p => child.Find(p) is not null));
        _procs.Add(child);
        foreach (var holders in _holders.Values.Where(h => h.Contains(parent.Id)))
        {
            holders.Add(child.Id);
        }
        _threads[_step.Slots.Binding] = new ModelThread(_s.Binding!, child.Id);
    }

    private void Exit(ModelProcess proc)
    {
        _step.Kind = StepKind.Exit;
        proc.Exited = true;
        foreach (var u in Uffds(proc))
        {
            u.Waiting.Clear();
        }
    }

    // ---- pipes ----

    private void Vmsplice(ModelProcess proc)
    {
        var pipe = Held<PipeState>(0, proc);
        var start = Address(1);
        var len = Number(2);
        if (start % 8 != 0 || len % 8 != 0 || len <= 0)
        {
            throw Cannot("vmsplice is exported in whole words: it needs an 8-byte aligned address and length");
        }
        // GUP stops at a hole and vmsplice splices the pages before it (a short count); none is EFAULT.
        var mapped = proc.MappedEnd(start, start + len);
        if (mapped == start)
        {
            throw Cannot("vmsplice of an unmapped address fails with EFAULT");
        }
        if (mapped < start + len)
        {
            _step.SplicedLength = mapped - start;
            len = mapped - start;
        }
        for (var a = start; a < start + len; a += 8)
        {
            var v = Readable(proc, a);
            pipe.Words.Enqueue(new PipeWord(v.Object, v.Word(a), _seq));
        }
        var pages = ((start + len - 1) / Page) - (start / Page) + 1;
        _plan.PipeCapacity[_step.Slots.First] += pages * Page;
    }

    private void PipeRead(ModelProcess proc)
    {
        var pipe = Held<PipeState>(0, proc);
        var len = Number(1);
        if (len % 8 != 0 || len <= 0)
        {
            throw Cannot("read is exported in whole words: it needs a length that is a multiple of 8");
        }
        var words = new List<WordExpectation>();
        while (words.Count < len / 8 && pipe.Words.TryDequeue(out var w))
        {
            // vmsplice does not snapshot: any value the page held from the vmsplice to now is legitimate.
            var e = new WordExpectation();
            e.Want.Add(w.Object.Current(w.Word));
            e.Want.AddRange(w.Object.HeldSince(w.Word, w.Seq).Where(t => t != e.Want[0]).Distinct());
            e.History.UnionWith(w.Object.History(w.Word));
            words.Add(e);
        }
        _step.Expect = words;
    }

    // ---- pins: the device reads and writes the pinned memory, not the process's page table ----

    private void Pin(ModelProcess proc)
    {
        _plan.Needs |= Features.IoUring;
        var start = Address(0);
        var len = Number(1);
        if (len <= 0)
        {
            throw Cannot("pin of an empty length");
        }
        RequireMapped(proc, start, start + len, "pin of an unmapped range fails with EFAULT");
        var segments = proc.Vmas.Where(v => v.Start < start + len && v.End > start).ToList();
        if (segments.Exists(v => !v.Writable))
        {
            throw Cannot("io_uring fixed buffers pin with FOLL_WRITE, so the range must be writable (user space has no read-only long-term pin)");
        }
        Touch(proc, start, start + len);
        Open(_step.Slots.Binding, new PinState(start, len, segments, (_s.Args[2].Flags & Flag.Rw) != 0), proc);
    }

    private (MemObject Object, long Word) DmaTarget(ModelProcess proc, bool write)
    {
        var pin = Held<PinState>(0, proc);
        if (write && !pin.Writable)
        {
            // The machine fails it (EPERM); io_uring's buffer is pinned writable, so the export would write.
            throw Cannot("the device cannot write through a read-only pin, and io_uring's fixed buffer is always writable");
        }
        var offset = Number(1);
        if (offset % 8 != 0 || offset < 0 || offset + 8 > pin.Length)
        {
            throw Cannot("the device moves one aligned word inside the pinned range");
        }
        return pin.At(offset);
    }

    private void DmaWrite(ModelProcess proc)
    {
        var (obj, word) = DmaTarget(proc, write: true);
        obj.Write(word, Tokens.Write(_s.Line, 0), ++_seq);
    }

    private void DmaRead(ModelProcess proc)
    {
        var (obj, word) = DmaTarget(proc, write: false);
        var e = new WordExpectation();
        e.Want.Add(obj.Current(word));
        e.History.UnionWith(obj.History(word));
        _step.Expect = [e];
    }

    // ---- files ----

    private void NewFile(ModelProcess proc)
    {
        _plan.Needs |= Features.ODirect;
        var len = Number(0);
        if (len <= 0 || len % 512 != 0 || len > MaxFileBytes)
        {
            throw Cannot("a file is exported as a temporary file of whole 512-byte blocks (up to 64M)");
        }
        var file = new FileState();
        for (long i = 0; i < len / 8; i++)
        {
            file.Words.Add(Tokens.FreshFile(_s.Line, i));
        }
        Open(_step.Slots.Binding, file, proc);
    }

    private void PreadDirect(ModelProcess proc)
    {
        var file = Held<FileState>(0, proc);
        var foff = Number(1);
        var start = Address(2);
        var len = Number(3);
        if (foff % 512 != 0 || start % 512 != 0 || len % 512 != 0 || len <= 0)
        {
            throw Cannot("O_DIRECT needs 512-byte aligned file offset, buffer and length");
        }
        if ((foff + len) / 8 > file.Words.Count)
        {
            throw Cannot("an O_DIRECT read past the end of the file is short");
        }
        for (var a = start; a < start + len; a += 8)
        {
            if (Uffds(proc).Any(u => u.Blocks(a)))
            {
                throw Cannot("an O_DIRECT read into a write-protected range blocks inside GUP; not exported");
            }
        }
        for (long i = 0; i < len / 8; i++)
        {
            var a = start + (i * 8);
            var v = Writable(proc, a);
            v.Object.Write(v.Word(a), file.Words[(int)((foff / 8) + i)], ++_seq);
            proc.PageWrites[a & ~(Page - 1)] = _seq;
        }
    }

    private void FileWrite(ModelProcess proc)
    {
        var file = Held<FileState>(0, proc);
        var foff = Number(1);
        var start = Address(2);
        var len = Number(3);
        if (foff % 8 != 0 || start % 8 != 0 || len % 8 != 0 || len <= 0 || foff + len > MaxFileBytes)
        {
            throw Cannot("write is exported in whole words: it needs 8-byte aligned offset, buffer and length");
        }
        for (long i = 0; i < len / 8; i++)
        {
            var a = start + (i * 8);
            var v = Readable(proc, a);
            var index = (int)((foff / 8) + i);
            while (file.Words.Count <= index)
            {
                file.Words.Add(Tokens.Zero);
            }
            file.Words[index] = v.Object.Current(v.Word(a));
        }
    }

    // ---- other processes, soft-dirty ----

    private ModelProcess TargetProcess()
    {
        var target = _threads[_step.Slots.First];
        var proc = _procs[target.Process];
        if (proc.Exited)
        {
            throw Cannot($"{_s.Info.Name} names {target.Name}, whose process has exited");
        }
        return proc;
    }

    private void ProcessVmReadv()
    {
        var target = TargetProcess();
        var start = Address(1);
        var len = Number(2);
        if (start % 8 != 0 || len % 8 != 0 || len <= 0)
        {
            throw Cannot("process_vm_readv is exported in whole words: it needs an 8-byte aligned address and length");
        }
        var words = new List<WordExpectation>();
        for (var a = start; a < start + len; a += 8)
        {
            words.Add(Own(Readable(target, a), a));
        }
        _step.Expect = words;
    }

    private void ClearRefs()
    {
        _plan.Needs |= Features.SoftDirty;
        TargetProcess().LastClearRefs = _seq;
    }

    private void Pagemap(ModelProcess proc)
    {
        _plan.Needs |= Features.SoftDirty;
        var page = Address(0) & ~(Page - 1);
        _step.MustBeDirty = proc.Find(page) is not null && proc.PageWrites.TryGetValue(page, out var w) && w > proc.LastClearRefs;
    }

    // ---- userfaultfd write-protect ----

    private UffdState OwnUffd(ModelProcess proc)
    {
        var u = (UffdState)_resources[_step.Slots.First];
        if (u.Process != proc.Id)
        {
            throw Cannot("a userfaultfd works on the memory of the process that created it");
        }
        return u;
    }

    private void UffdRegister(ModelProcess proc)
    {
        var u = OwnUffd(proc);
        var (start, end) = Range(proc, 1, Number(2));
        if (HugetlbCutAt(proc, end) is not null)
        {
            throw Cannot("uffd_register ending inside a hugetlb mapping off its 2M grid fails with EINVAL");
        }
        // userfaultfd_register registers every mapping of the range and passes over holes; a range without one is EINVAL.
        var parts = proc.MappedParts(start, end).ToList();
        if (parts.Count == 0)
        {
            throw Cannot("uffd_register of an unmapped range fails with EINVAL");
        }
        u.Registered.AddRange(parts);
    }

    private void UffdWp(ModelProcess proc)
    {
        var u = OwnUffd(proc);
        var (start, end) = Range(proc, 1, Number(2));
        if (proc.Vmas.Exists(v => v.Hugetlb && v.Start < end && v.End > start) && (start % Huge != 0 || (end - start) % Huge != 0))
        {
            throw Cannot("uffd_wp over a hugetlb mapping with a start or length off the 2M grid fails with EINVAL");
        }
        for (var p = start; p < end; p += Page)
        {
            if (!u.IsRegistered(p))
            {
                throw Cannot("uffd_wp outside the registered range fails with ENOENT");
            }
            if (_s.Args[3].Flags == Flag.On)
            {
                if (!proc.Touched.Contains(p))
                {
                    // Without UFFD_FEATURE_WP_UNPOPULATED (the kernel's default, which the machine models) an
                    // anonymous page never faulted in takes no protection; whether a fault maps a THP or the huge
                    // zero page (protecting its neighbours too) is kernel state the reference model does not follow.
                    throw Cannot($"uffd_wp protects only pages already faulted in; page 0x{p:x} was not: touch it first");
                }
                u.Protected.Add(p);
            }
            else
            {
                u.Protected.Remove(p);
            }
        }
    }

    /// <summary>The handler unprotects each faulting page and wakes its writer, which finishes its write.</summary>
    private void UffdResolve(ModelProcess proc)
    {
        var u = OwnUffd(proc);
        if (u.Handler != _step.Slots.Thread)
        {
            throw Cannot("uffd_resolve is exported on the thread that created the userfaultfd (its handler)");
        }
        foreach (var slot in u.Waiting)
        {
            var thread = _threads[slot];
            var pending = thread.Pending!;
            u.Protected.Remove(pending.Remaining[0].Addr & ~(Page - 1));
            var writer = _procs[thread.Process];
            foreach (var (addr, token) in pending.Remaining)
            {
                if (u.Blocks(addr))
                {
                    throw Cannot($"the write of line {pending.Line} would block again on a second write-protected page");
                }
                var v = Writable(writer, addr);
                v.Object.Write(v.Word(addr), token, ++_seq);
                writer.PageWrites[addr & ~(Page - 1)] = _seq;
            }
            thread.Pending = null;
            _step.Resolves.Add(pending.Step);
        }
        u.Waiting.Clear();
    }

    private IEnumerable<UffdState> Uffds(ModelProcess proc) =>
        _resources.Values.OfType<UffdState>().Where(u => u.Process == proc.Id);

    // ---- arguments and checks ----

    private long Number(int i) => _s.Args[i].Number;

    private long Address(int i)
    {
        var arg = _s.Args[i];
        if (!_addresses.TryGetValue(_step.Slots.Arg(_s.Info, i), out var start))
        {
            throw Cannot($"{arg.Name} is bound by a line that did not run");
        }
        return start + arg.Number;
    }

    private Vma Readable(ModelProcess proc, long addr)
    {
        var v = proc.Find(addr) ?? throw Cannot($"0x{addr:x} is not mapped in {ThreadName}'s process: the real process gets SIGSEGV");
        proc.Touched.Add(addr & ~(Page - 1));
        return v.Readable ? v : throw Cannot($"{_s.Info.Name} reads a mapping without read permission: the real process gets SIGSEGV");
    }

    private Vma Writable(ModelProcess proc, long addr)
    {
        var v = proc.Find(addr) ?? throw Cannot($"0x{addr:x} is not mapped in {ThreadName}'s process: the real process gets SIGSEGV");
        proc.Touched.Add(addr & ~(Page - 1));
        return v.Writable ? v : throw Cannot($"{_s.Info.Name} writes a mapping without write permission: the real process gets SIGSEGV");
    }

    private static void Touch(ModelProcess proc, long start, long end)
    {
        for (var p = start & ~(Page - 1); p < end; p += Page)
        {
            proc.Touched.Add(p);
        }
    }

    /// <summary>The hugetlb mapping that <paramref name="at"/> falls strictly inside, off its 2M grid; null if none.</summary>
    private static Vma? HugetlbCutAt(ModelProcess proc, long at) =>
        at % Huge != 0 && proc.Find(at - 1) is { Hugetlb: true } v && v.End > at ? v : null;

    private void RequireMapped(ModelProcess proc, long start, long end, string why)
    {
        if (!proc.Covers(start, end))
        {
            throw Cannot(why);
        }
    }

    private void Open(int slot, object resource, ModelProcess proc)
    {
        _resources[slot] = resource;
        _holders[slot] = [proc.Id];
    }

    /// <summary>A file descriptor is open in its creator and in processes forked from it afterwards.</summary>
    private T Held<T>(int arg, ModelProcess proc)
    {
        var slot = _step.Slots.Arg(_s.Info, arg);
        if (!_resources.TryGetValue(slot, out var r) || !_holders[slot].Contains(proc.Id))
        {
            throw Cannot($"{_s.Args[arg].Name} is not open in {ThreadName}'s process");
        }
        return (T)r;
    }

    private string ThreadName => _threads[_step.Slots.Thread].Name;

    private ExportException Cannot(string why) => new(_s.Line, why);

    private static long RoundUp(long value, long unit) => (value + unit - 1) / unit * unit;
}
