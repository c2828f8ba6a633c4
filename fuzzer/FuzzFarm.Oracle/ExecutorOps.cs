using System.Numerics;
using System.Runtime.CompilerServices;
using FuzzFarm.Machine;
using FuzzFarm.Programs;

namespace FuzzFarm.Oracle;

/// <summary>One statement: the machine call, the reference model's update, and the oracle's checks.</summary>
public sealed partial class Executor
{
    private readonly List<PipeBuffer> _pieces = [];

    /// <summary>
    /// Runs statement <paramref name="st"/>, at <paramref name="index"/> in the program, on <paramref name="t"/>;
    /// <paramref name="names"/> are the slots its names resolve to (a first name argument is always argument 0).
    /// </summary>
    private void RunStatement(int index, Statement st, LineSlots names, SimThread t, bool split)
    {
        // A span hands out arguments by reference: the ImmutableArray's indexer copies the whole Arg each time.
        var a = st.Args.AsSpan();
        var p = t.Process;
        _step++;
        Status s;
        if (UnboundArgument(st, names) is { } unbound)
        {
            SkipUnbound(unbound);
            return;
        }
        // Ops whose first argument is an id into one of the kernel's lists check it in their own case: a check of its
        // own, before the switch, was a second jump through a table on the op for every line.
        switch (st.Op)
        {
            case Op.Mmap:
                s = _kernel.Mmap(t, a[0].Number, a[1].Flags, a[2].Flags, out var addr);
                if (s == Status.Done)
                {
                    Bind(names.Binding, (long)addr);
                }
                break;
            case Op.Munmap:
                s = _kernel.Munmap(t, Addr(a[0], names.First), a[1].Number);
                if (s == Status.Done)
                {
                    Zapped(p, Addr(a[0], names.First), a[1].Number, discard: false);
                }
                break;
            case Op.Mprotect:
                {
                    var op = split ? NewHandle(names.Binding, AsyncKind.Mprotect, t) : null;
                    s = _kernel.Mprotect(t, Addr(a[0], names.First), a[1].Number, a[2].Flags, op);
                    break;
                }
            case Op.Madvise:
                s = Madvise(t, Addr(a[0], names.First), a[1].Number, a[2].Flags);
                break;
            case Op.Store:
                s = Store(st, names, t, split);
                break;
            case Op.Memset:
                s = Memset(st, t, Addr(a[0], names.First), a[1].Number);
                break;
            case Op.Load:
                s = Load(t, Addr(a[0], names.First));
                break;
            case Op.Fork:
                s = _kernel.Fork(t, names.Binding, st.Binding!, _tokens.Count, out var child);
                if (s == Status.Done)
                {
                    Bind(names.Binding, names.Binding);
                    _ref.Fork(p, child.Process);
                    SetStep(_forkSteps, child.Process.Id);
                }
                break;
            case Op.Thread:
                s = _kernel.NewThreadIn(t, names.Binding, st.Binding!, out _);
                Bind(names.Binding, names.Binding);
                break;
            case Op.Exit:
                _kernel.Kill(t.Process);
                FinishOpsOf(t.Process);
                s = _kernel.Exit(t);
                break;
            case Op.Pipe:
                Bind(names.Binding, _kernel.NewPipe());
                s = Status.Done;
                break;
            case Op.Vmsplice:
                {
                    if (Stale(st, names, 0, _kernel.Pipes.Count))
                    {
                        return;
                    }
                    var target = Addr(a[1], names.Second);
                    s = _kernel.Vmsplice(t, Id(names.First), target, a[2].Number, Track(p, target, a[2].Number));
                    break;
                }
            case Op.Read:
                if (Stale(st, names, 0, _kernel.Pipes.Count))
                {
                    return;
                }
                s = _kernel.PipeRead(Id(names.First), a[1].Number, _pieces);
                if (s == Status.Done)
                {
                    CheckPieces("read");
                }
                break;
            case Op.Pin:
                s = _kernel.Pin(t, Addr(a[0], names.First), a[1].Number, a[2].Flags, out var pin);
                if (s == Status.Done)
                {
                    Bind(names.Binding, pin);
                    PinKeys(pin, p, Addr(a[0], names.First), a[1].Number);
                    SetStep(_pinSteps, pin);
                }
                break;
            case Op.Unpin:
                if (Stale(st, names, 0, _kernel.Pins.Count))
                {
                    return;
                }
                s = _kernel.Unpin(Id(names.First));
                break;
            case Op.DmaWrite:
                if (Stale(st, names, 0, _kernel.Pins.Count))
                {
                    return;
                }
                s = DmaWrite(st, Id(names.First), a[1].Number);
                break;
            case Op.DmaRead:
                if (Stale(st, names, 0, _kernel.Pins.Count))
                {
                    return;
                }
                s = DmaRead(Id(names.First), a[1].Number);
                break;
            case Op.File:
                // The slot holds the file's size, which bounds what an O_DIRECT read gets.
                Bind(names.Binding, a[0].Number);
                s = Status.Done;
                break;
            case Op.PreadDirect:
                s = PreadDirect(st, names, t, split);
                break;
            case Op.Write:
                s = _kernel.WriteFile(t, Addr(a[2], names.Second), a[3].Number);
                if (s == Status.Done)
                {
                    // A write past the end extends the file.
                    _slots[names.First] = Math.Max(_slots[names.First], a[1].Number + a[3].Number);
                }
                break;
            case Op.ProcessVmReadv:
                {
                    var target = _kernel.Threads[Id(names.First)];
                    if (target is null)
                    {
                        s = Status.Failed;
                        Skip("ESRCH: thread not started");
                        return;
                    }
                    var op = NewHandle(names.Binding, AsyncKind.ProcessVmReadv, t);
                    var tag = Track(target.Process, Addr(a[1], names.Second), a[2].Number);
                    s = _kernel.ProcessVmReadv(t, target, Addr(a[1], names.Second), a[2].Number, op, split);
                    op.Tag = tag;
                    if (s == Status.Done)
                    {
                        FinishReadv(op);
                    }
                    break;
                }
            case Op.ClearRefs:
                {
                    var target = _kernel.Threads[Id(names.First)];
                    if (target is null)
                    {
                        s = Status.Failed;
                        Skip("ESRCH: thread not started");
                        return;
                    }
                    var op = split ? NewHandle(names.Binding, AsyncKind.ClearRefs, t) : null;
                    s = _kernel.ClearRefs(t, target, op);
                    if (s == Status.Done)
                    {
                        SoftDirtyCleared(target.Process);
                    }
                    else if (s == Status.Pending)
                    {
                        _clearing.Add(target.Process.Id);
                    }
                    break;
                }
            case Op.Pagemap:
                {
                    var target = Addr(a[0], names.First);
                    s = _kernel.Pagemap(t, target, out var dirty);
                    if (s == Status.Done)
                    {
                        CheckPagemap(p, target, dirty);
                    }
                    break;
                }
            case Op.Uffd:
                Bind(names.Binding, _kernel.NewUffd(t));
                s = Status.Done;
                break;
            case Op.UffdRegister:
                if (Stale(st, names, 0, _kernel.Uffds.Count))
                {
                    return;
                }
                s = _kernel.UffdRegister(t, Id(names.First), Addr(a[1], names.Second), a[2].Number);
                break;
            case Op.UffdWp:
                {
                    if (Stale(st, names, 0, _kernel.Uffds.Count))
                    {
                        return;
                    }
                    var op = split ? NewHandle(names.Binding, AsyncKind.UffdWp, t) : null;
                    s = _kernel.UffdWp(t, Id(names.First), Addr(a[1], names.Second), a[2].Number, (a[3].Flags & Flag.On) != 0, op);
                    break;
                }
            case Op.UffdResolve:
                if (Stale(st, names, 0, _kernel.Uffds.Count))
                {
                    return;
                }
                s = _kernel.UffdResolve(t, Id(names.First));
                break;
            case Op.Wait:
                // Handle ids count from 1 (Async[id - 1]).
                if (Stale(st, names, 1, _kernel.Async.Count + 1))
                {
                    return;
                }
                s = Wait(_kernel.Async[Id(names.First) - 1]);
                break;
            default:
                s = Status.Failed;
                break;
        }
        // Most lines raise none: no call, enumerator or Clear for them.
        if (_kernel.Events.Count > 0)
        {
            TakeKernelEvents();
        }
        if (s == Status.Failed && _options.Skips)
        {
            // Reading the kernel's error may spell it (a SIGSEGV's is built when read).
            Skip(_kernel.Error);
        }
        else if (s == Status.Blocked)
        {
            t.PendingStatement = index;
            _blocked = true;
        }
        if (Tracing)
        {
            TraceOutcome(s, st);
        }
    }

    // The ops below that hold a Landing, an enumerator or a trace line are kept out of RunStatement (NoInlining): the
    // runtime zeroes such locals in its frame on every call, that is on every line run, whichever op the line is.

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void TraceOutcome(Status s, Statement st)
    {
        switch (s)
        {
            case Status.Failed:
                Trace($"failed: {_kernel.Error}");
                break;
            case Status.Blocked:
                Trace($"{st.Thread} blocked: its op runs when it wakes");
                break;
            case Status.Pending:
                Trace($"{st.Info.Name} stopped at its preemption point until wait");
                break;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private Status Madvise(SimThread t, ulong addr, long len, Flag advice)
    {
        var p = t.Process;
        var s = _kernel.Madvise(t, addr, len, advice);
        // dontneed discards private contents: reads give 0 again. The kernel says where: VMA by VMA, to whole
        // huge pages of a hugetlb one, and also where the call went on to fail.
        foreach (var (start, end) in _kernel.Discarded)
        {
            Zapped(p, start, (long)(end - start), discard: true);
        }
        foreach (var page in _kernel.ShmemUnmapped)
        {
            SoftDirtyDropped(p, page, Decision.ShmemPageout);
        }
        return s;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private Status Store(Statement st, LineSlots names, SimThread t, bool split)
    {
        var p = t.Process;
        var op = split ? NewHandle(names.Binding, AsyncKind.Store, t) : null;
        var target = Addr(st.Args.AsSpan()[0], names.First);
        var token = _tokens.New(p, st.Thread, _line, WriteKind.Cpu, _step);
        var s = _kernel.Store(t, target, token, op, out var landing);
        if (s == Status.Done)
        {
            CpuWrote(p, target, 8, token, landing);
        }
        return s;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private Status Memset(Statement st, SimThread t, ulong target, long len)
    {
        var p = t.Process;
        var token = _tokens.New(p, st.Thread, _line, WriteKind.Cpu, _step);
        _landings.Clear();
        var s = _kernel.Memset(t, target, len, token, out var landing, out var written, _landings);
        if (written > 0)
        {
            // A memset stopped by a fault still wrote the pages before it.
            CpuWrote(p, target, written, token, landing);
            _tokens[token].PerFolio = _landings.Count > 1 ? [.. _landings] : null;
        }
        return s;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private Status Load(SimThread t, ulong target)
    {
        var s = _kernel.Load(t, target, out var value, out var landing);
        if (s == Status.Done)
        {
            CheckLoad(t.Process, target, value, landing);
        }
        return s;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private Status DmaWrite(Statement st, int pin, long offset)
    {
        var handle = _kernel.PinOf(pin);
        var token = _tokens.New(handle.Owner, st.Thread, _line, WriteKind.Dma, StepOf(_pinSteps, pin));
        var s = _kernel.DmaWrite(pin, offset, token, out var landing);
        if (s == Status.Done)
        {
            _tokens[token].Landing = landing;
            var at = handle.Addr + (ulong)offset;
            _ref.Write(PinKey(pin, at), (int)((at & 0xfff) >> 3), 1, token);
        }
        return s;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private Status DmaRead(int pin, long offset)
    {
        var s = _kernel.DmaRead(pin, offset, out var value, out var landing);
        if (s == Status.Done)
        {
            CheckDmaRead(pin, offset, value, landing);
        }
        return s;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private Status PreadDirect(Statement st, LineSlots names, SimThread t, bool split)
    {
        var a = st.Args.AsSpan();
        var op = NewHandle(names.Binding, AsyncKind.PreadDirect, t);
        SetStep(_opSteps, op.Id);
        // A read at or past the end of the file returns 0 before any GUP (__iomap_dio_rw); one that crosses
        // it is short: only the words the file holds are read.
        var size = _slots[names.First];
        if (a[1].Number >= size)
        {
            Trace($"O_DIRECT read at {a[1].Number} of a {size}-byte file: end of file, nothing read");
            return Status.Done;
        }
        var len = Math.Min(a[3].Number, (size - a[1].Number) & ~7L);
        // The DMA lands in the buffer as it was mapped at the GUP, even if it is unmapped meanwhile.
        var tag = Track(t.Process, Addr(a[2], names.Second), len);
        var s = _kernel.PreadDirect(t, Addr(a[2], names.Second), len, op, split);
        // Set after the call: the kernel resets the op it is handed.
        op.Tag = tag;
        if (s == Status.Done)
        {
            FinishPread(op);
        }
        return s;
    }

    /// <summary>
    /// Skips the line if its first argument (the line's first name), an id into one of the kernel's lists, is not in
    /// [<paramref name="first"/>, <paramref name="end"/>). Ops whose first argument is a file or a thread need no such
    /// check: <see cref="UnboundArgument"/> has already skipped a line whose name holds -1.
    /// </summary>
    private bool Stale(Statement st, LineSlots names, int first, int end)
    {
        var id = _slots[names.First];
        if (id >= first && id < end)
        {
            return false;
        }
        SkipUnbound(HandleName(st));
        return true;
    }

    /// <summary>Skips a line whose argument was never created; the reason is only built when skips are recorded.</summary>
    private void SkipUnbound(string name)
    {
        if (_options.Skips)
        {
            Skip($"EBADF: {name} was not created (the line binding it failed or did not run)");
        }
    }

    private static string HandleName(Statement st) => st.Args[0].Name ?? "handle";

    /// <summary>
    /// A named argument whose binding line failed, or has not run (it is blocked): an address, pin, pipe, file or
    /// thread that does not exist. Its slot holds -1, which must never reach the kernel as an address.
    /// </summary>
    private string? UnboundArgument(Statement st, LineSlots names)
    {
        // The validator makes an argument a name exactly where its op takes one: no need to look at each one's form.
        var positions = st.Info.NameArgs;
        if (positions == 0)
        {
            return null;
        }
        if (_slots[names.First] < 0)
        {
            return st.Args[BitOperations.TrailingZeroCount(positions)].Name;
        }
        positions &= positions - 1;
        return positions != 0 && _slots[names.Second] < 0 ? st.Args[BitOperations.TrailingZeroCount(positions)].Name : null;
    }

    private AsyncOp NewHandle(int binding, AsyncKind kind, SimThread t)
    {
        var op = _kernel.NewAsync(kind, t);
        Bind(binding, op.Id);
        return op;
    }

    /// <summary>
    /// exit_group: a thread of the process stopped inside a split op finishes that syscall before it dies, as its
    /// wait would have (its wait line is skipped once it has exited); else the op's lock and pins would stay held.
    /// </summary>
    private void FinishOpsOf(Process p)
    {
        for (var i = 0; i < _kernel.Async.Count; i++)
        {
            var op = _kernel.Async[i];
            if (op.Pending && op.Thread.Process == p)
            {
                Trace($"exit finishes {op.Thread}'s {op.Kind} first");
                Wait(op);
            }
        }
    }

    private Status Wait(AsyncOp op)
    {
        if (!op.Pending)
        {
            Trace("nothing to finish");
            return Status.Done;
        }
        switch (op.Kind)
        {
            case AsyncKind.Store:
                {
                    var s = _kernel.FinishStore(op, out var landing);
                    if (s == Status.Done)
                    {
                        var token = op.Value;
                        CpuWrote(op.Target, op.Addr, 8, token, landing);
                    }
                    return s;
                }
            case AsyncKind.Mprotect:
                _kernel.FinishFlush(op, flush: true);
                return Status.Done;
            case AsyncKind.UffdWp:
                _kernel.FinishUffdWp(op);
                return Status.Done;
            case AsyncKind.ClearRefs:
                _kernel.FinishClearRefs(op);
                // Writes racing with the walk may go either way: only writes after clear_refs returns must show.
                SoftDirtyCleared(op.Target);
                _clearing.Remove(op.Target.Id);
                return Status.Done;
            case AsyncKind.PreadDirect:
                FinishPread(op);
                return Status.Done;
            default:
                FinishReadv(op);
                return Status.Done;
        }
    }

    private void FinishPread(AsyncOp op)
    {
        var token = _tokens.New(op.Target, op.Thread.Name, _line, WriteKind.ODirect, StepOf(_opSteps, op.Id));
        var tag = op.Tag;
        _landings.Clear();
        _kernel.FinishPreadDirect(op, token, out var landing, _landings);
        _tokens[token].Landing = landing;
        _tokens[token].PerFolio = _landings.Count > 1 ? [.. _landings] : null;
        var end = op.Addr + (ulong)op.Len;
        var a = op.Addr;
        for (var page = 0; a < end; page++)
        {
            var stop = Math.Min((a | 0xfff) + 1, end);
            _ref.Write(_trackers[tag + page].Key, (int)((a & 0xfff) >> 3), (int)((stop - a) >> 3), token);
            a = stop;
        }
    }

    private void FinishReadv(AsyncOp op)
    {
        _kernel.FinishProcessVmReadv(op, _pieces, op.Tag);
        CheckPieces("process_vm_readv");
    }

    /// <summary>Stores an op's result in its binding <paramref name="slot"/>; a result nobody named (<c>pipe()</c> alone) is dropped, as in C.</summary>
    private void Bind(int slot, long value)
    {
        if (slot >= 0)
        {
            _slots[slot] = value;
        }
    }
}
