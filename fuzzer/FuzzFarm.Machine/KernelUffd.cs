namespace FuzzFarm.Machine;

/// <summary>userfaultfd in write-protect mode: register, (un)protect, and the handler resolving faults.</summary>
internal sealed partial class Kernel
{
    private readonly Pool<Uffd> _uffds = new(() => new Uffd());

    internal int NewUffd(SimThread t)
    {
        var u = _uffds.Rent();
        u.Handler = t;
        u.Process = t.Process;
        Uffds.Add(u);
        return Uffds.Count - 1;
    }

    internal Status UffdRegister(SimThread t, int uffd, ulong addr, long len)
    {
        var p = t.Process;
        if (Uffds[uffd].Process != p)
        {
            return Fail("EINVAL: the userfaultfd belongs to another process");
        }
        if (!CheckRangeArgs(addr, len, out var end))
        {
            return Status.Failed;
        }
        if (LockBusy(p, true))
        {
            return BlockOnLock(t, p);
        }
        // userfaultfd_register wants one VMA in the range, not every page mapped: it registers the VMAs there.
        var first = p.FindVmaFrom(addr);
        if (first is null || first.Start >= end)
        {
            return Fail(first is null ? $"ENOMEM: nothing is mapped at or after 0x{addr:x}" : $"EINVAL: nothing is mapped in [0x{addr:x}, 0x{end:x})");
        }
        // "If the first vma contains huge pages, make sure start address is aligned": even when the range starts in
        // the hole before it.
        if (SplitsHugetlbOffGrid(p, addr, end) || (first.Hugetlb && !Geometry.PmdAligned(addr)))
        {
            return Fail("EINVAL: hugetlb ranges must be 2M-aligned");
        }
        if (!Profile.UffdWpShmemHugetlb)
        {
            // vma_can_userfault before 5.19: "FIXME: add WP support to hugetlbfs and shmem".
            foreach (var v in p.Vmas)
            {
                if (v.Start < end && v.End > addr && (v.Shared || v.Hugetlb))
                {
                    return Fail($"EINVAL: userfaultfd write-protect mode does not take a {(v.Hugetlb ? "hugetlb" : "shared")} mapping here (uffd_wp_shmem_hugetlb=false)");
                }
            }
        }
        foreach (var v in p.Vmas)
        {
            if (v.End > addr && v.Start < end && v.Uffd >= 0 && v.Uffd != uffd)
            {
                return Fail($"EBUSY: [0x{v.Start:x}, 0x{v.End:x}) is registered with another userfaultfd");
            }
        }
        SplitVmasToChange(p, addr, end, VmaChange.Userfaultfd(uffd));
        foreach (var v in p.Vmas)
        {
            if (v.Start >= addr && v.End <= end)
            {
                v.Uffd = uffd;
            }
        }
        MergeVmas(p, addr, end);
        return Status.Done;
    }

    /// <summary>
    /// UFFDIO_WRITEPROTECT: change_protection with the uffd-wp bit set or cleared. Unprotecting rebuilds a private PTE
    /// read-only, so it also drops write permission (until 6.3, when it took mprotect's upgrade). The flush comes at
    /// the end of the walk (at <c>wait</c> when split); unprotecting then wakes the range's waiters.
    /// </summary>
    internal Status UffdWp(SimThread t, int uffd, ulong addr, long len, bool on, AsyncOp? split)
    {
        var p = t.Process;
        if (Uffds[uffd].Process != p)
        {
            return Fail("EINVAL: the userfaultfd belongs to another process");
        }
        if (!CheckRangeArgs(addr, len, out var end))
        {
            return Status.Failed;
        }
        if (LockBusy(p, false))
        {
            return BlockOnLock(t, p);
        }
        // mwriteprotect_range asks only that the range be registered, with any userfaultfd of the mm; its faults still
        // go to the registered one, and only this one's waiters are woken.
        var error = WriteProtectWalk(p, addr, end);
        var changed = 0;
        foreach (var (start, stop) in _walk)
        {
            changed += ChangeProtection(p, p.FindVma(start)!, start, stop, on ? 1 : 2, Decision.UffdWpFlushDeferred, split is not null && error is null ? t : null);
        }
        if (error is not null)
        {
            // What was changed before the error is flushed (each VMA's tlb_finish_mmu); no window stays open.
            foreach (var (start, stop) in _walk)
            {
                FlushTlb(p, start >> Geometry.PageShift, (stop >> Geometry.PageShift) - 1);
            }
            return Fail(error);
        }
        Coverage.Hit(on ? CovPoint.UffdWpOn : CovPoint.UffdWpOff, changed);
        if (Tracing)
        {
            Note($"uffd_wp {(on ? "on" : "off")}: P{p.Id} [0x{addr:x}, 0x{end:x}): {changed} PTEs lost write permission; flush {(split is null ? "now" : "deferred to wait")}");
        }
        if (split is not null)
        {
            split.Kind = AsyncKind.UffdWp;
            split.Addr = addr;
            split.Len = (long)(end - addr);
            // The uffd whose waiters wait() wakes, plus one (0: protecting wakes nobody).
            split.Value = on ? 0 : (ulong)uffd + 1;
            split.Pending = true;
            split.Lock = 1;
            p.LockReaders++;
            p.TlbFlushPending++;
            return Status.Pending;
        }
        FlushTlb(p, addr >> Geometry.PageShift, (end >> Geometry.PageShift) - 1);
        if (!on)
        {
            WakeUffdWaiters(uffd, addr, end);
        }
        return Status.Done;
    }

    /// <summary>
    /// The pieces of [addr, end) mwriteprotect_range changes, into <see cref="_walk"/>, and the error it returns after
    /// them (null: none). From 6.4 every VMA of the range, holes skipped, up to the first one not registered (ENOENT);
    /// before, the range must lie in one registered VMA. A hugetlb VMA wants a huge-page-aligned start and length.
    /// </summary>
    private string? WriteProtectWalk(Process p, ulong addr, ulong end)
    {
        _walk.Clear();
        if (!Profile.UffdWpMultiVma && (p.FindVma(addr) is not { } only || end > only.End))
        {
            return $"ENOENT: [0x{addr:x}, 0x{end:x}) is not inside one VMA (uffd_wp_multi_vma=false)";
        }
        foreach (var v in p.Vmas)
        {
            if (v.End <= addr || v.Start >= end)
            {
                continue;
            }
            if (v.Uffd < 0)
            {
                return $"ENOENT: [0x{v.Start:x}, 0x{v.End:x}) is not registered with a userfaultfd";
            }
            if (v.Hugetlb && (!Geometry.PmdAligned(addr) || !Geometry.PmdAligned(end)))
            {
                return "EINVAL: hugetlb ranges must be 2M-aligned";
            }
            _walk.Add((Math.Max(addr, v.Start), Math.Min(end, v.End)));
        }
        return _walk.Count == 0 ? $"ENOENT: nothing is mapped in [0x{addr:x}, 0x{end:x})" : null;
    }

    /// <summary>
    /// The second half of a split UFFDIO_WRITEPROTECT: change_protection's flush and unlock, and only then, as
    /// userfaultfd_writeprotect does once mwriteprotect_range has returned, the wake of the range's waiters.
    /// </summary>
    internal void FinishUffdWp(AsyncOp op)
    {
        FinishFlush(op, flush: true);
        if (op.Value != 0)
        {
            WakeUffdWaiters((int)op.Value - 1, op.Addr, op.Addr + (ulong)op.Len);
        }
    }

    private void WakeUffdWaiters(int uffd, ulong start, ulong end)
    {
        foreach (var q in Processes)
        {
            foreach (var th in q.Threads)
            {
                if (th.State == RunState.Blocked && th.BlockedOn == BlockKind.Uffd && th.BlockedId == uffd
                    && th.BlockedAddr >= start && th.BlockedAddr < end)
                {
                    Wake(th);
                }
            }
        }
    }

    /// <summary>The handler serves every pending fault: unprotect the faulting page and wake its thread.</summary>
    internal Status UffdResolve(SimThread t, int uffd)
    {
        var u = Uffds[uffd];
        // Serving a fault is UFFDIO_WRITEPROTECT: mwriteprotect_range takes the mmap read lock.
        if (LockBusy(u.Process, false))
        {
            return BlockOnLock(t, u.Process);
        }
        var served = 0;
        foreach (var q in Processes)
        {
            foreach (var th in q.Threads)
            {
                if (th.State == RunState.Blocked && th.BlockedOn == BlockKind.Uffd && th.BlockedId == uffd)
                {
                    var a = th.BlockedAddr;
                    var v = u.Process.FindVma(a);
                    if (v is not null)
                    {
                        ChangeProtection(u.Process, v, a, a + (ulong)Geometry.PageSize, 2, Decision.UffdWpFlushDeferred, window: null);
                        FlushTlb(u.Process, a >> Geometry.PageShift, a >> Geometry.PageShift);
                    }
                    served++;
                    Wake(th);
                }
            }
        }
        Coverage.Hit(CovPoint.UffdResolve, served);
        if (Tracing)
        {
            Note($"uffd_resolve: {t} served {served} pending faults");
        }
        return Status.Done;
    }
}
