using System.Runtime.InteropServices;
using FuzzFarm.Programs;

namespace FuzzFarm.Machine;

[Flags]
internal enum Foll : byte
{
    None = 0,
    Get = 1,
    Pin = 2,
    Write = 4,
    Longterm = 8,
    Fast = 16,
    Remote = 32,
}

/// <summary>
/// get_user_pages and its users: pin_user_pages (RDMA, io_uring), vmsplice into pipes, O_DIRECT reads, buffered
/// writes and process_vm_readv. GUP faults pages in as needed, breaks COW for writes, and (by profile) forces
/// writes for read GUPs (5.8) or unshares before R/O pins (5.19+).
/// </summary>
internal sealed partial class Kernel
{
    private readonly Pool<Pipe> _pipes = new(() => new Pipe());
    private readonly Pool<Pin> _pins = new(() => new Pin());
    // Set while slow GUP without FOLL_UNLOCKABLE faults: a uffd fault then fails instead of blocking.
    private bool _faultMayNotRetry;

    /// <summary>
    /// GUP finds no VMA allowing the access at <paramref name="at"/>. GUP-fast never looks at VMAs: the entry it cannot
    /// use sends it to slow GUP, which waits for the mmap lock before check_vma_flags fails it (the whole call then
    /// runs again). Otherwise __get_user_pages returns the pages it got, if any, for a caller that takes a short count
    /// (<paramref name="shortOk"/>); the rest fail the call, which releases them.
    /// </summary>
    private Status GupRefused(SimThread t, Process p, List<GupPage> pages, Foll flags, bool shortOk, ulong at, FailReason error)
    {
        if ((flags & Foll.Fast) != 0 && LockBusy(p, false))
        {
            ReleasePages(pages, (flags & Foll.Pin) != 0);
            return BlockOnLock(t, p);
        }
        if (shortOk && pages.Count > 0)
        {
            GupEnd = at;
            if (Tracing)
            {
                Note($"gup: stops at 0x{at:x} ({error.Text()}): {pages.Count} pages got, a short count");
            }
            return Status.Done;
        }
        ReleasePages(pages, (flags & Foll.Pin) != 0);
        return Fail(error);
    }

    /// <summary>Where the last GUP stopped: the end of its range, or the page a short count stopped at.</summary>
    private ulong GupEnd { get; set; }

    private Status Gup(SimThread t, Process p, ulong addr, long len, Foll flags, List<GupPage> pages, bool shortOk = false)
    {
        if (len <= 0)
        {
            return Fail($"EINVAL: length {len}");
        }
        // Slow GUP (pin_user_pages, process_vm_readv's pin_user_pages_remote) walks under the mmap read lock; GUP-fast
        // (a fast pin, vmsplice, O_DIRECT, a buffered write) walks present entries without it and waits only to fault.
        if ((flags & Foll.Fast) == 0 && LockBusy(p, false))
        {
            return BlockOnLock(t, p);
        }
        if ((flags & Foll.Pin) != 0)
        {
            p.HasPinned = true;
        }
        var first = addr & ~0xfffUL;
        var end = addr + (ulong)len;
        GupEnd = end;
        // Neighbouring pages mostly share a VMA: search the list only when the address leaves the last one, or a
        // fault ran.
        Vma? vma = null;
        for (var a = first; a < end; a += (ulong)Geometry.PageSize)
        {
            var done = false;
            // FOLL_COW: a forced write fault on a mapping without VM_WRITE leaves the page dirty but read-only; GUP then
            // takes a dirty entry as written (5.8's can_follow_write_pte: pte_write || (FOLL_COW && pte_dirty)).
            var followCow = false;
            for (var attempt = 0; attempt < 8 && !done; attempt++)
            {
                vma = p.FindVma(a, vma);
                if (vma is null)
                {
                    return GupRefused(t, p, pages, flags, shortOk, a, FailReason.GupNoMapping(a));
                }
                var foll = flags;
                var forced = false;
                if (Profile.ReadGupBreaksCow && (foll & (Foll.Get | Foll.Pin)) != 0 && (foll & Foll.Write) == 0 && vma.IsCow)
                {
                    foll |= Foll.Write;
                    forced = true;
                    Coverage.Hit(CovPoint.GupForcedWrite, (int)(flags & (Foll.Get | Foll.Pin)));
                }
                // check_vma_flags sees the caller's flags, not the forced write.
                if ((flags & Foll.Write) != 0 ? !vma.Write : !vma.Read)
                {
                    return GupRefused(t, p, pages, flags, shortOk, a, FailReason.GupNotAllowed(a, (flags & Foll.Write) != 0));
                }
                var table = p.Table(a);
                Folio? f = null;
                var sub = 0;
                var writable = false;
                var dirty = false;
                var pmd = false;
                var grant = Decision.None;
                if (table?.Huge is not null)
                {
                    f = table.Huge;
                    sub = PteIndex(a);
                    writable = (table.HugeFlags & PteFlags.Write) != 0;
                    dirty = (table.HugeFlags & PteFlags.Dirty) != 0;
                    grant = table.HugeGrant;
                    pmd = true;
                }
                else if (table is not null && table.Peek(PteIndex(a)) is { Present: true } pte)
                {
                    f = pte.Folio;
                    sub = pte.Sub;
                    writable = pte.Writable;
                    dirty = (pte.Flags & PteFlags.Dirty) != 0;
                    grant = pte.Grant;
                }
                var need = f is null ? ((foll & Foll.Write) != 0 ? FaultKind.Write : FaultKind.Read)
                    : (foll & Foll.Write) != 0 && !writable && !(followCow && dirty) ? FaultKind.Write
                    : MustUnshare(vma, f, sub, pmd, foll) ? FaultKind.Unshare
                    : (FaultKind)255;
                if (need != (FaultKind)255)
                {
                    Coverage.Hit(need == FaultKind.Unshare ? CovPoint.GupUnshare : CovPoint.GupFault, (int)need);
                    if (Tracing)
                    {
                        Note($"gup: {FollText(foll)} P{p.Id} 0x{a:x}: {(need == FaultKind.Unshare ? "must unshare" : f is null ? "not present" : "not writable")}{(forced ? " (read GUP forced to write)" : "")}: fault");
                    }
                    // pin_user_pages holds the mmap lock and passes no `locked`: its faults may not retry, so
                    // handle_userfault fails them (VM_FAULT_SIGBUS) instead of waiting. GUP-fast's fallback and
                    // pin_user_pages_remote may drop the lock, and wait; but before 6.3 a FOLL_LONGTERM fallback
                    // (__gup_longterm_unlocked) took the lock itself and passed no `locked` either.
                    _faultMayNotRetry = (flags & (Foll.Pin | Foll.Fast | Foll.Remote)) == Foll.Pin
                        || ((flags & (Foll.Pin | Foll.Fast | Foll.Longterm)) == (Foll.Pin | Foll.Fast | Foll.Longterm) && !Profile.LongtermFastRetry);
                    var r = Fault(t, p, a, need, null, forced && need == FaultKind.Write);
                    _faultMayNotRetry = false;
                    var wrote = vma.Write;
                    vma = null;
                    if (r == FaultResult.Blocked)
                    {
                        ReleasePages(pages, (flags & Foll.Pin) != 0);
                        return Status.Blocked;
                    }
                    if (r != FaultResult.Ok)
                    {
                        // Fault has waited for the lock already: no GUP-fast fallback wait is left to take.
                        return GupRefused(t, p, pages, flags & ~Foll.Fast, shortOk, a, Reason.InGup());
                    }
                    followCow |= forced && need == FaultKind.Write && !wrote;
                    continue;
                }
                Grab(f!, sub, pmd, flags);
                pages.Add(new GupPage(f!, sub, f!.Kind(pmd), grant));
                done = true;
                if (pmd && !followCow)
                {
                    a = GrabRestOfHuge(vma, f, a, end, grant, flags, pages);
                }
            }
            if (!done)
            {
                ReleasePages(pages, (flags & Foll.Pin) != 0);
                return Fail($"EFAULT: GUP fault loop at 0x{a:x}");
            }
        }
        return Status.Done;
    }

    /// <summary>
    /// The pages after <paramref name="a"/> under its huge entry, up to <paramref name="end"/> and the VMA's end, once
    /// the walk took the page at <paramref name="a"/> without a fault: it would find each of them as it found that one
    /// (same VMA, entry and flags; taking a page changes only counts), so they are taken at once, with the counts, pages
    /// and coverage the walk gives them. Not when taking one warns or the walk is traced. Returns the last page taken.
    /// </summary>
    private ulong GrabRestOfHuge(Vma vma, Folio f, ulong a, ulong end, Decision grant, Foll flags, List<GupPage> pages)
    {
        var stop = Math.Min(Math.Min(end, vma.End), (a | (Geometry.PmdSize - 1)) + 1);
        var count = (int)((stop - a + Geometry.PageSize - 1) >> Geometry.PageShift) - 1;
        var pin = (flags & Foll.Pin) != 0;
        if (count <= 0 || Tracing || !f.Large || (pin && PinWarns(f, 0)))
        {
            return a;
        }
        var first = PteIndex(a) + 1;
        // Grab's counts: one reference (and, for a pin, one pincount) per page; none on a zero page.
        var step = f.Zero ? 0 : 1;
        var refStart = f.RefCount + step;
        var pinStart = f.PinCount + (pin ? step : 0);
        f.RefCount += step * count;
        f.PinCount += pin ? step * count : 0;
        Coverage.HitHugeRun(pin ? CovPoint.GupPin : CovPoint.GupGet, f, first, count, refStart, pinStart, step, pin ? step : 0);
        var kind = f.Kind(true);
        var from = pages.Count;
        CollectionsMarshal.SetCount(pages, from + count);
        var taken = CollectionsMarshal.AsSpan(pages)[from..];
        for (var k = 0; k < count; k++)
        {
            taken[k] = new GupPage(f, first + k, kind, grant);
        }
        return a + ((ulong)count << Geometry.PageShift);
    }

    /// <summary>A pin of subpage <paramref name="sub"/> of <paramref name="f"/> warns: R/O pins unshare, yet it is a non-exclusive anon page.</summary>
    private bool PinWarns(Folio f, int sub) => Profile.RoPinUnshare != RoPinUnshareRule.None && f.Anon && !f.Exclusive[sub];

    private static string FollText(Foll f) =>
        ((f & Foll.Pin) != 0 ? "FOLL_PIN" : "FOLL_GET") + ((f & Foll.Write) != 0 ? "|FOLL_WRITE" : "") +
        ((f & Foll.Longterm) != 0 ? "|FOLL_LONGTERM" : "") + ((f & Foll.Fast) != 0 ? " (fast)" : "") + ((f & Foll.Remote) != 0 ? " (remote)" : "");

    /// <summary>gup_must_unshare(): a R/O pin of a possibly shared page unshares first (5.19 anon, 6.2 also zero page).</summary>
    private bool MustUnshare(Vma vma, Folio f, int sub, bool pmd, Foll foll)
    {
        if (Profile.RoPinUnshare == RoPinUnshareRule.None || (foll & (Foll.Pin | Foll.Write)) != Foll.Pin)
        {
            return false;
        }
        if (f.Anon)
        {
            return !f.Exclusive[pmd ? 0 : sub];
        }
        return Profile.RoPinUnshare == RoPinUnshareRule.AnonAndLongtermCow && (foll & Foll.Longterm) != 0 && vma.IsCow;
    }

    private void Grab(Folio f, int sub, bool pmd, Foll flags)
    {
        if ((flags & Foll.Pin) != 0)
        {
            if (f.Large)
            {
                Get(f);
                // Zero pages keep no counts.
                f.PinCount += f.Zero ? 0 : 1;
            }
            else
            {
                Get(f, Geometry.PinBias);
            }
            if (PinWarns(f, pmd ? 0 : sub))
            {
                Warn($"kernel-warn in gup: pin of a non-exclusive anon page [{PageKindNames.Of(f.Kind(pmd))}]", $"pfn {f.Pfn}{SubText(f, sub)} pinned while shared");
            }
            Coverage.Hit(CovPoint.GupPin, f, sub, pmd);
        }
        else
        {
            Get(f);
            Coverage.Hit(CovPoint.GupGet, f, sub, pmd);
        }
        if (Tracing)
        {
            Note($"gup: {FollText(flags)} took pfn {f.Pfn}{SubText(f, sub)} ({(f.Zero ? "zero page" : Counts(f, sub))})");
        }
    }

    private void ReleasePages(List<GupPage> pages, bool pin)
    {
        foreach (var (f, _, _, _) in pages)
        {
            Unpin(f, pin);
        }
        pages.Clear();
    }

    private void Unpin(Folio f, bool pin)
    {
        if (!pin)
        {
            Put(f);
        }
        else if (f.Large)
        {
            f.PinCount -= f.Zero ? 0 : 1;
            Put(f);
        }
        else
        {
            Put(f, Geometry.PinBias);
        }
    }

    // ---- pins ---------------------------------------------------------------------------------------------

    internal Status Pin(SimThread t, ulong addr, long len, Flag flags, out int pin)
    {
        pin = -1;
        var h = _pins.Rent();
        h.Owner = t.Process;
        h.Addr = addr;
        h.Len = len;
        h.Write = (flags & Flag.Rw) != 0;
        h.Longterm = (flags & Flag.LongTerm) != 0;
        h.Released = false;
        h.Pages.Clear();
        var foll = Foll.Pin | (h.Write ? Foll.Write : 0) | ((flags & Flag.LongTerm) != 0 ? Foll.Longterm : 0) | ((flags & Flag.Fast) != 0 ? Foll.Fast : 0);
        var s = Gup(t, t.Process, addr, len, foll, h.Pages);
        if (s != Status.Done)
        {
            return s;
        }
        Pins.Add(h);
        pin = Pins.Count - 1;
        return Status.Done;
    }

    internal Status Unpin(int pin)
    {
        var h = Pins[pin];
        if (h.Released)
        {
            return Fail("EINVAL: pin already released");
        }
        h.Released = true;
        ReleasePages(h.Pages, pin: true);
        return Status.Done;
    }

    /// <summary>Locates the pinned page under byte <paramref name="offset"/> of a pin.</summary>
    private bool PinWord(Pin h, long offset, out Folio f, out int sub, out int word, out PageKind kind, out Decision grant)
    {
        f = null!;
        sub = word = 0;
        kind = PageKind.Base;
        grant = Decision.None;
        if (h.Released || offset < 0 || offset + 8 > h.Len || ((h.Addr + (ulong)offset) & 7) != 0)
        {
            _reason = h.Released ? FailReason.Of("EINVAL: pin released") : FailReason.PinOffset(offset);
            return false;
        }
        var a = h.Addr + (ulong)offset;
        var index = (int)((a >> Geometry.PageShift) - (h.Addr >> Geometry.PageShift));
        if (index >= h.Pages.Count)
        {
            // A pin over a range shorter than its length (a zero-length mapping) holds fewer pages than it spans.
            _reason = FailReason.PinNoPage(offset);
            return false;
        }
        (f, sub, kind, grant) = h.Pages[index];
        word = (int)((a & 0xfff) >> 3);
        return true;
    }

    internal Status DmaWrite(int pin, long offset, ulong token, out Landing landing)
    {
        landing = default;
        var h = Pins[pin];
        if (!h.Write)
        {
            return Fail("EPERM: the pin is read-only (no FOLL_WRITE): the device cannot write through it");
        }
        if (!PinWord(h, offset, out var f, out var sub, out var word, out var kind, out var grant))
        {
            return Status.Failed;
        }
        Coverage.Hit(CovPoint.DmaWrite, f, sub);
        WriteWords(f, sub, word, 1, token);
        landing = new Landing { Folio = f, Sub = (short)sub, Kind = kind, Grant = grant };
        if (Tracing)
        {
            Note($"device writes pfn {f.Pfn}{SubText(f, sub)} word {word} through the pin of P{h.Owner.Id}");
        }
        return Status.Done;
    }

    internal Status DmaRead(int pin, long offset, out ulong value, out Landing landing)
    {
        value = 0;
        landing = default;
        var h = Pins[pin];
        if (!PinWord(h, offset, out var f, out var sub, out var word, out var kind, out var grant))
        {
            return Status.Failed;
        }
        Coverage.Hit(CovPoint.DmaRead, f, sub);
        value = ReadWord(f, sub, word);
        // What gave the pin its page (fork's sharing, say) is what the oracle blames when it sees another's data.
        landing = new Landing { Folio = f, Sub = (short)sub, Kind = kind, Grant = grant };
        if (Tracing)
        {
            Note($"device reads pfn {f.Pfn}{SubText(f, sub)} word {word} through the pin of P{h.Owner.Id}");
        }
        return Status.Done;
    }

    internal Pin PinOf(int pin) => Pins[pin];

    // ---- pipes --------------------------------------------------------------------------------------------

    internal int NewPipe()
    {
        var pipe = _pipes.Rent();
        pipe.Buffers.Clear();
        Pipes.Add(pipe);
        return Pipes.Count - 1;
    }

    private readonly List<GupPage> _gupScratch = [];

    /// <summary>vmsplice: FOLL_GET references to the user pages go into the pipe; nothing is copied.</summary>
    internal Status Vmsplice(SimThread t, int pipe, ulong addr, long len, int tag)
    {
        if ((addr & 7) != 0 || (len & 7) != 0)
        {
            return Fail("EINVAL: vmsplice range must be 8-byte aligned");
        }
        _gupScratch.Clear();
        // iter_to_pipe queues the pages GUP got and returns a short count at a hole.
        var s = Gup(t, t.Process, addr, len, Foll.Get | Foll.Fast, _gupScratch, shortOk: true);
        if (s != Status.Done)
        {
            return s;
        }
        var end = GupEnd;
        var a = addr;
        foreach (var (f, sub, kind, grant) in _gupScratch)
        {
            var stop = Math.Min((a | 0xfff) + 1, end);
            Pipes[pipe].Buffers.Add(new PipeBuffer
            {
                Folio = f, Sub = (short)sub, FromWord = (short)((a & 0xfff) >> 3), Words = (short)((stop - a) >> 3),
                Owner = t.Process, Addr = a, Tag = tag++, Grant = grant, Kind = kind,
            });
            a = stop;
        }
        _gupScratch.Clear();
        return Status.Done;
    }

    /// <summary>read from a pipe: drains up to <paramref name="len"/> bytes; the consumed pieces go to <paramref name="output"/>.</summary>
    internal Status PipeRead(int pipe, long len, List<PipeBuffer> output)
    {
        output.Clear();
        if (len <= 0 || (len & 7) != 0)
        {
            return Fail($"EINVAL: length {len} is not a positive multiple of 8");
        }
        var words = len >> 3;
        var buffers = Pipes[pipe].Buffers;
        var consumed = 0;
        while (words > 0 && consumed < buffers.Count)
        {
            var b = buffers[consumed];
            var take = (short)Math.Min(words, b.Words);
            output.Add(b with { Words = take });
            Coverage.Hit(CovPoint.PipeRead, b.Folio, b.Sub);
            words -= take;
            if (take == b.Words)
            {
                Put(b.Folio);
                consumed++;
            }
            else
            {
                buffers[consumed] = b with { FromWord = (short)(b.FromWord + take), Words = (short)(b.Words - take), Addr = b.Addr + (ulong)(take * 8) };
            }
        }
        buffers.RemoveRange(0, consumed);
        return Status.Done;
    }

    // ---- O_DIRECT, buffered write, process_vm_readv -------------------------------------------------------

    /// <summary>O_DIRECT read: GUP the buffer for writing (FOLL_GET, or FOLL_PIN by profile), DMA, release.</summary>
    internal Status PreadDirect(SimThread t, ulong addr, long len, AsyncOp op, bool split)
    {
        if ((addr & 7) != 0 || (len & 7) != 0 || len <= 0)
        {
            return Fail("EINVAL: O_DIRECT buffer must be 8-byte aligned");
        }
        op.Reset(op.Id, AsyncKind.PreadDirect, t, t.Process);
        op.Addr = addr;
        op.Len = len;
        op.PinPages = Profile.OdirectFollPin;
        // bio_iov_iter_get_pages submits the pages it got: a hole makes a short read.
        var s = Gup(t, t.Process, addr, len, (op.PinPages ? Foll.Pin : Foll.Get) | Foll.Write | Foll.Fast, op.Pages, shortOk: true);
        if (s != Status.Done)
        {
            return s;
        }
        op.Len = (long)(GupEnd - addr);
        if (split)
        {
            op.Pending = true;
            return Status.Pending;
        }
        return Status.Done;
    }

    /// <summary>
    /// The DMA of an O_DIRECT read into the pages GUP took, then their release. <paramref name="perPage"/> gets its
    /// landing on each page, in address order.
    /// </summary>
    internal void FinishPreadDirect(AsyncOp op, ulong token, out Landing landing, List<Landing> perPage)
    {
        op.Pending = false;
        landing = default;
        var end = op.Addr + (ulong)op.Len;
        var a = op.Addr;
        foreach (var (f, sub, kind, grant) in op.Pages)
        {
            var stop = Math.Min((a | 0xfff) + 1, end);
            WriteWords(f, sub, (int)((a & 0xfff) >> 3), (int)((stop - a) >> 3), token);
            Coverage.Hit(CovPoint.OdirectDma, f, sub);
            if (Tracing)
            {
                Note($"O_DIRECT DMA into pfn {f.Pfn}{SubText(f, sub)} ({(f.Freed ? "freed" : Counts(f, sub))})");
            }
            // The grant names the fault that gave the GUP its write access, as for a CPU store.
            landing = new Landing { Folio = f, Sub = (short)sub, Kind = kind, Grant = grant, Page = a >> Geometry.PageShift };
            perPage.Add(landing);
            a = stop;
        }
        ReleasePages(op.Pages, op.PinPages);
    }

    /// <summary>Buffered write of user memory to a file: a read GUP of the buffer (forced to write in 5.8).</summary>
    internal Status WriteFile(SimThread t, ulong addr, long len)
    {
        _gupScratch.Clear();
        var s = Gup(t, t.Process, addr, len, Foll.Get | Foll.Fast, _gupScratch, shortOk: true);
        ReleasePages(_gupScratch, pin: false);
        return s;
    }

    /// <summary>
    /// process_vm_readv: a remote read GUP of the target's pages (FOLL_PIN: pin_user_pages_remote, so the pages count
    /// as maybe pinned and a shared anon page is unshared first from 5.19), then the copy (at wait when split).
    /// </summary>
    internal Status ProcessVmReadv(SimThread t, SimThread target, ulong addr, long len, AsyncOp op, bool split)
    {
        if ((addr & 7) != 0 || (len & 7) != 0 || len <= 0)
        {
            return Fail("EINVAL: range must be 8-byte aligned");
        }
        var p = target.Process;
        if (!GetMm(t, p))
        {
            return Fail("ESRCH: target process exited");
        }
        op.Reset(op.Id, AsyncKind.ProcessVmReadv, t, p);
        op.Addr = addr;
        op.Len = len;
        // process_vm_rw_core returns a short read when a hole stops the pages it pins.
        var s = Gup(t, p, addr, len, Foll.Pin | Foll.Remote, op.Pages, shortOk: true);
        if (s == Status.Blocked)
        {
            t.BlockedMmRef = p;
            return s;
        }
        if (s != Status.Done)
        {
            PutMm(p);
            return s;
        }
        op.MmRef = p;
        op.Len = (long)(GupEnd - addr);
        if (split)
        {
            op.Pending = true;
            return Status.Pending;
        }
        return Status.Done;
    }

    /// <summary>The copy of a process_vm_readv: the pieces read go to <paramref name="output"/>; then release.</summary>
    internal void FinishProcessVmReadv(AsyncOp op, List<PipeBuffer> output, int tag)
    {
        op.Pending = false;
        output.Clear();
        var end = op.Addr + (ulong)op.Len;
        var a = op.Addr;
        foreach (var (f, sub, kind, grant) in op.Pages)
        {
            var stop = Math.Min((a | 0xfff) + 1, end);
            output.Add(new PipeBuffer
            {
                Folio = f, Sub = (short)sub, FromWord = (short)((a & 0xfff) >> 3), Words = (short)((stop - a) >> 3),
                Owner = op.Target, Addr = a, Tag = tag++, Grant = grant, Kind = kind,
            });
            a = stop;
        }
        ReleasePages(op.Pages, pin: true);
        ReleaseMmRef(op);
    }

    internal AsyncOp NewAsync(AsyncKind kind, SimThread t)
    {
        var op = _asyncOps.Rent();
        Async.Add(op);
        op.Reset(Async.Count, kind, t, t.Process);
        return op;
    }
}
