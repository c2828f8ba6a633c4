using FuzzFarm.Machine;
using FuzzFarm.Programs;

namespace FuzzFarm.Oracle;

/// <summary>The oracle's checks at each observation (machine.md §3) and the signatures of what they find.</summary>
public sealed partial class Executor
{
    /// <summary>A snapshot of the reference at a vmsplice or remote-read GUP: the source may change until the copy.</summary>
    private struct Tracker
    {
        public long Key;
        public PageWords Snapshot;
        public int LogIndex;
    }

    private readonly List<Tracker> _trackers = [];
    private readonly List<List<long>> _pinKeys = [];
    /// <summary>Pages written by a process's CPU since its last clear_refs: key (process, page) → last token.</summary>
    private readonly PageMap<ulong> _dirtySinceClear = new();
    // Pages of _dirtySinceClear whose soft-dirty bit went with their entry since the write (a shmem pageout), and the
    // decision that cleared it: the cause a pagemap reading 0 names, whatever maps the page again.
    private readonly PageMap<Decision> _softDirtyDroppedBy = new();
    private readonly List<long> _scratchKeys = [];
    private readonly List<string> _values = [];
    private readonly List<Landing> _landings = [];
    private readonly ulong[] _pieceWords = new ulong[Geometry.WordsPerPage];
    private readonly ulong[] _snapshotWords = new ulong[Geometry.WordsPerPage];
    private readonly bool[] _pieceAllowed = new bool[Geometry.WordsPerPage];
    /// <summary>
    /// Private page keys zapped by the current munmap/dontneed → their orphan keys. A PageMap: a Dictionary's Clear
    /// writes every bucket it ever grew, on each zap that orphaned anything.
    /// </summary>
    private readonly PageMap<long> _orphans = new();
    /// <summary>Processes with a split clear_refs not yet finished: their soft-dirty bits are in flux.</summary>
    private readonly HashSet<int> _clearing = [];
    /// <summary>
    /// Whether the program reads soft-dirty bits (has a pagemap line): only then are the pages written since clear_refs
    /// worth recording, a map update per page of every CPU write.
    /// </summary>
    private bool _readsSoftDirty;

    /// <summary>The oracle's clock: one step per statement run. Steps of each fork (by child id), pin, O_DIRECT op.</summary>
    private long _step;
    private readonly List<long> _forkSteps = [];
    private readonly List<long> _pinSteps = [];
    private readonly List<long> _opSteps = [];

    private void SetStep(List<long> steps, int id)
    {
        while (steps.Count <= id)
        {
            steps.Add(0);
        }
        steps[id] = _step;
    }

    private static long StepOf(List<long> steps, int id) => id < steps.Count ? steps[id] : 0;

    private long ForkStep(Process p) => StepOf(_forkSteps, p.Id);

    private void ResetTrackers(Program program)
    {
        _readsSoftDirty = program.Uses(Op.Pagemap);
        _step = 0;
        _trackers.Clear();
        _dirtySinceClear.Clear();
        _softDirtyDroppedBy.Clear();
        _clearing.Clear();
    }

    private static long PageKey(Process p, ulong addr) => ((long)p.Id << 44) | (long)(addr >> 12);

    private static ulong PageOf(long key) => (ulong)(key & ((1L << 44) - 1)) << 12;

    private void CpuWrote(Process p, ulong addr, long len, ulong token, Landing landing)
    {
        _tokens[token].Landing = landing;
        _ref.WriteRange(p, addr, len, token);
        if (!_readsSoftDirty)
        {
            return;
        }
        for (var a = addr & ~0xfffUL; a < addr + (ulong)len; a += 0x1000)
        {
            var key = PageKey(p, a);
            _dirtySinceClear[key] = token;
            // Empty but for programs that page out written shmem: skip the lookup on every other write.
            if (_softDirtyDroppedBy.Count > 0)
            {
                _softDirtyDroppedBy.Remove(key);
            }
        }
    }

    /// <summary>
    /// munmap or dontneed of a range: its pages no longer count as written since clear_refs (there is nothing left to
    /// be dirty). Private pages that a pin, a pipe buffer or an in-flight I/O still holds live on as orphans those
    /// holders share; the process itself reads 0 there again (dontneed) or maps nothing (munmap).
    /// </summary>
    private void Zapped(Process p, ulong addr, long len, bool discard)
    {
        if (len <= 0 || (addr & 0xfff) != 0)
        {
            return;
        }
        var end = addr + (ulong)len;
        // Only programs that read soft-dirty bits record written pages: for the others there is nothing to walk.
        if (_dirtySinceClear.Count > 0)
        {
            NoLongerWritten(p, addr, end, discard);
        }
        _orphans.Clear();
        for (var pin = 0; pin < _kernel.Pins.Count && pin < _pinKeys.Count; pin++)
        {
            var keys = _pinKeys[pin];
            for (var i = 0; i < keys.Count; i++)
            {
                if (ReferenceMemory.InPrivateRange(keys[i], p, addr, end))
                {
                    keys[i] = OrphanOf(keys[i]);
                }
            }
        }
        for (var i = 0; i < _trackers.Count; i++)
        {
            if (ReferenceMemory.InPrivateRange(_trackers[i].Key, p, addr, end))
            {
                _trackers[i] = _trackers[i] with { Key = OrphanOf(_trackers[i].Key) };
            }
        }
        if (discard)
        {
            _ref.Discard(p, addr, end);
        }
        else
        {
            _ref.Forget(p, addr, end);
        }
    }

    /// <summary>The pages of <paramref name="p"/> in [<paramref name="addr"/>, <paramref name="end"/>) written since clear_refs are zapped.</summary>
    private void NoLongerWritten(Process p, ulong addr, ulong end, bool discard)
    {
        // Walk the range or what is recorded, whichever is shorter: a 2M range is 512 pages, the records are often
        // fewer; a 4K range is one page, however many there are. Each key is handled alone, so the order is free.
        if (ReferenceMemory.RangePages(addr, end) <= (ulong)_dirtySinceClear.Count)
        {
            for (var a = addr; a < end; a += 0x1000)
            {
                var key = PageKey(p, a);
                if (_dirtySinceClear.ContainsKey(key))
                {
                    NoLongerWritten(p, key, discard);
                }
            }
            return;
        }
        _scratchKeys.Clear();
        foreach (var key in _dirtySinceClear.Keys)
        {
            var page = PageOf(key);
            if (key >> 44 == p.Id && page >= addr && page < end)
            {
                _scratchKeys.Add(key);
            }
        }
        foreach (var key in _scratchKeys)
        {
            NoLongerWritten(p, key, discard);
        }
    }

    /// <summary>A page of <paramref name="p"/> written since clear_refs is zapped.</summary>
    private void NoLongerWritten(Process p, long key, bool discard)
    {
        if (discard && p.FindVma(PageOf(key)) is { Shared: true, Hugetlb: false })
        {
            // MADV_DONTNEED of shmem keeps the contents but drops the PTE and its soft-dirty bit, as reclaim does.
            _softDirtyDroppedBy[key] = Decision.ShmemZap;
            return;
        }
        _dirtySinceClear.Remove(key);
        _softDirtyDroppedBy.Remove(key);
    }

    private long OrphanOf(long key)
    {
        if (!_orphans.TryGetValue(key, out var orphan))
        {
            orphan = _ref.Orphan(key);
            _orphans[key] = orphan;
        }
        return orphan;
    }

    /// <summary>The kernel cleared the entry of a page written since the last clear_refs, soft-dirty bit and all.</summary>
    private void SoftDirtyDropped(Process p, ulong page, Decision by)
    {
        var key = PageKey(p, page);
        if (_dirtySinceClear.ContainsKey(key))
        {
            _softDirtyDroppedBy[key] = by;
        }
    }

    private void SoftDirtyCleared(Process p)
    {
        // A PageMap lets the walk remove as it goes.
        foreach (var key in _dirtySinceClear.Keys)
        {
            if (key >> 44 == p.Id)
            {
                _dirtySinceClear.Remove(key);
                _softDirtyDroppedBy.Remove(key);
            }
        }
    }

    private void PinKeys(int pin, Process owner, ulong addr, long len)
    {
        while (_pinKeys.Count <= pin)
        {
            _pinKeys.Add([]);
        }
        var keys = _pinKeys[pin];
        keys.Clear();
        var end = addr + (ulong)len;
        for (var a = addr & ~0xfffUL; a < end;)
        {
            var (key, pages) = ReferenceMemory.KeyRun(owner, a, end);
            for (var i = 0; i < pages; i++)
            {
                keys.Add(key + i);
            }
            a += (ulong)pages << 12;
        }
    }

    private long PinKey(int pin, ulong at) => _pinKeys[pin][(int)((at >> 12) - (_kernel.PinOf(pin).Addr >> 12))];

    /// <summary>
    /// Snapshots the pages of a vmsplice, remote read or O_DIRECT buffer with their reference keys at the GUP;
    /// returns the tag of the first page.
    /// </summary>
    private int Track(Process p, ulong addr, long len)
    {
        var tag = _trackers.Count;
        if (len <= 0 || len > Kernel.MaxMapping || addr + (ulong)len < addr)
        {
            // The kernel refuses such a range; tracking it would loop over up to 2^52 pages.
            return tag;
        }
        var end = addr + (ulong)len;
        var logCount = _ref.LogCount;
        for (var a = addr & ~0xfffUL; a < end;)
        {
            var (first, pages) = ReferenceMemory.KeyRun(p, a, end);
            for (var i = 0; i < pages; i++)
            {
                var key = first + i;
                _trackers.Add(new Tracker { Key = key, Snapshot = _ref.Snapshot(key), LogIndex = logCount });
            }
            a += (ulong)pages << 12;
        }
        return tag;
    }

    /// <summary>The first word of the piece holding a value its source never held since the GUP; -1 if none.</summary>
    private int FirstDisallowed(in Tracker tr, in PipeBuffer piece)
    {
        // Scratch reused across calls. Whole pages are copied out (a fill and a few words each), not read word by
        // word: a lookup per word of a 4 KiB read was most of a replay that reads a leaked page.
        var current = _pieceWords;
        var snapshot = _snapshotWords;
        var ok = _pieceAllowed;
        var end = piece.FromWord + piece.Words;
        Kernel.ReadPage(piece.Folio, piece.Sub, current);
        tr.Snapshot.CopyTo(snapshot);
        for (var w = piece.FromWord; w < end; w++)
        {
            ok[w] = snapshot[w] == current[w];
        }
        _ref.AllowWritten(tr.Key, tr.LogIndex, current, ok);
        for (var w = piece.FromWord; w < end; w++)
        {
            if (!ok[w])
            {
                return w;
            }
        }
        return -1;
    }

    /// <summary>Pipe read or remote read: each word may be any value the source held since the GUP.</summary>
    private void CheckPieces(string op)
    {
        var collect = _options.Observations;
        _values.Clear();
        ulong run = 0;
        var runLength = 0;
        foreach (var piece in _pieces)
        {
            // Every piece is checked: pieces spliced from different pages may go wrong for different causes, and each
            // signature counts (AddViolation keeps one per line and signature).
            var trackerIndex = piece.Tag < _trackers.Count ? piece.Tag : -1;
            var check = trackerIndex >= 0 && !SamePage(piece, _trackers[trackerIndex].Snapshot);
            var words = piece.Folio.Words[piece.Sub];
            if (collect && (words is null || words.Count == 0))
            {
                // A uniform page is one run: no need to look at each word.
                var value = words?.Fill ?? 0;
                if (runLength > 0 && value != run)
                {
                    _values.Add(RunText(run, runLength));
                    runLength = 0;
                }
                run = value;
                runLength += piece.Words;
            }
            else if (collect)
            {
                Kernel.ReadPage(piece.Folio, piece.Sub, _pieceWords);
                for (var w = piece.FromWord; w < piece.FromWord + piece.Words; w++)
                {
                    var value = _pieceWords[w];
                    if (runLength > 0 && value != run)
                    {
                        _values.Add(RunText(run, runLength));
                        runLength = 0;
                    }
                    run = value;
                    runLength++;
                }
            }
            if (!check)
            {
                continue;
            }
            var tr = _trackers[trackerIndex];
            var bad = FirstDisallowed(tr, piece);
            if (bad >= 0)
            {
                var value = Kernel.ReadWord(piece.Folio, piece.Sub, bad);
                var expected = _ref.Read(tr.Key, bad);
                var at = (piece.Addr & ~0xfffUL) + (ulong)(bad * 8);
                // With the page's address, the cause is how the owner came to map the page, as for a load.
                var landing = new Landing { Folio = piece.Folio, Sub = piece.Sub, Kind = piece.Kind, Grant = piece.Grant, Page = at >> Geometry.PageShift };
                Report(piece.Owner, value, expected, landing, at, $"{op} of P{piece.Owner.Id}'s 0x{at:x}");
            }
        }
        if (collect)
        {
            if (runLength > 0)
            {
                _values.Add(RunText(run, runLength));
            }
            _result.ObservationList.Add(new Observation(_line, CurrentThread, op, [.. _values]));
        }
    }

    /// <summary>The page still holds exactly what the source held at the GUP: every word is allowed.</summary>
    private static bool SamePage(in PipeBuffer piece, PageWords snapshot)
    {
        var words = piece.Folio.Words[piece.Sub];
        return words is null ? snapshot.Fill == 0 && snapshot.Count == 0 : words.SameAs(snapshot);
    }

    private string RunText(ulong value, int count) => count == 1 ? _tokens.Print(value) : $"{_tokens.Print(value)} x{count}";

    private void Observe(string op, ulong token)
    {
        if (_options.Observations)
        {
            _result.ObservationList.Add(new Observation(_line, CurrentThread, op, [_tokens.Print(token)]));
        }
    }

    private void CheckLoad(Process p, ulong addr, ulong value, Landing landing)
    {
        Observe("load", value);
        var expected = _ref.Read(ReferenceMemory.Key(p, addr), (int)((addr & 0xfff) >> 3));
        if (value != expected)
        {
            Report(p, value, expected, landing, addr, $"load of P{p.Id}'s 0x{addr:x}");
        }
    }

    private void CheckDmaRead(int pin, long offset, ulong value, Landing landing)
    {
        Observe("dma_read", value);
        var h = _kernel.PinOf(pin);
        var at = h.Addr + (ulong)offset;
        var expected = _ref.Read(PinKey(pin, at), (int)((at & 0xfff) >> 3));
        // A short-term R/O pin may hold the shared zero page: the kernel promises coherency there only for
        // FOLL_LONGTERM (6.2's unshare), so a short-term pin reading zeros is not a lost write.
        var shortTermZero = landing.Folio is { Zero: true } && !h.Longterm;
        if (value != expected && !shortTermZero)
        {
            Report(h.Owner, value, expected, landing, at, $"dma_read through P{h.Owner.Id}'s pin at 0x{at:x}");
        }
    }

    private void CheckPagemap(Process p, ulong addr, bool dirty)
    {
        if (_options.Observations)
        {
            _result.ObservationList.Add(new Observation(_line, CurrentThread, "pagemap", [dirty ? "1" : "0"]));
        }
        // hugetlb has no soft-dirty tracking (only VM_SOFTDIRTY is reported): nothing to check there.
        if (!dirty && !_clearing.Contains(p.Id) && p.FindVma(addr) is { Hugetlb: false } && _dirtySinceClear.TryGetValue(PageKey(p, addr), out var token))
        {
            var l = LandingAt(ref _tokens[token], addr);
            // A stale entry explains a missing soft-dirty bit only when clear_refs left it: it is the write-protect
            // that should have made the write fault. Through an entry another write-protect (mprotect, uffd-wp) left
            // stale, the write is the one the writable PTE before it would have taken without a fault too, so the
            // decision that made that PTE writable without the bit is the cause.
            // An entry cleared since the write (a shmem pageout) took the bit with it: that clearing is the cause.
            var cause = _softDirtyDroppedBy.TryGetValue(PageKey(p, addr), out var dropped) ? dropped
                : l.Stale is Decision.ClearRefsNoFlush or Decision.ClearRefsFlushPending ? l.Stale : l.Grant;
            AddViolation(ViolationKind.LostWrite, Signature(ViolationKind.LostWrite, cause, l.Kind),
                $"pagemap of P{p.Id}'s 0x{addr & ~0xfffUL:x} reads soft-dirty 0, but {_tokens.Print(token)} wrote the page since the last clear_refs" +
                (l.Stale != Decision.None ? " (through a stale TLB entry, without a fault)" : ""));
        }
    }

    /// <summary>
    /// An observation of <paramref name="observer"/>'s memory saw <paramref name="value"/> where the reference holds
    /// <paramref name="expected"/>: a token from outside its history is cross-process visibility, an older one of
    /// its own is a lost write.
    /// </summary>
    private void Report(Process observer, ulong value, ulong expected, Landing landing, ulong addr, string what)
    {
        var where = landing.Folio is null ? "" : $" (pfn {landing.Folio.Pfn}{Kernel.SubText(landing.Folio, landing.Sub)}{(landing.Folio.Freed ? ", freed" : "")})";
        if (!_tokens.InHistory(observer, value))
        {
            ref var info = ref _tokens[value];
            var (cause, kind) = CrossCause(ref info, landing, observer);
            AddViolation(ViolationKind.CrossProcessVisibility, Signature(ViolationKind.CrossProcessVisibility, cause, kind),
                $"{what}{where} saw {_tokens.Print(value)}, written by P{info.Writer.Id} after it parted from P{observer.Id}; expected {_tokens.Print(expected)}");
            return;
        }
        var (lostCause, lostKind) = LostCause(expected, landing, addr);
        AddViolation(ViolationKind.LostWrite, Signature(ViolationKind.LostWrite, lostCause, lostKind),
            $"{what}{where} saw {_tokens.Print(value)} but {_tokens.Print(expected)} wrote it later{LandingText(expected, addr)}");
    }

    private string LandingText(ulong token, ulong addr)
    {
        if (!_tokens.Valid(token))
        {
            return "";
        }
        var l = LandingAt(ref _tokens[token], addr);
        if (l.Folio is null)
        {
            return "";
        }
        return $"; that write went to pfn {l.Folio.Pfn}{Kernel.SubText(l.Folio, l.Sub)}" +
            (l.Stale != Decision.None ? $" through a stale TLB entry ({DecisionText.Of(l.Stale)})" : "");
    }

    /// <summary>
    /// The decision that let another process's write reach the observer: how the writer got its access; but when a
    /// device (or O_DIRECT) write went through access the writer already held before their lines parted, that access
    /// was legitimate, and the fault is how the observer's line came to map the writer's page (fork's sharing of a
    /// pinned page, a swap-in of the entry it copied), not a later reuse of the page. A copy (COW, unshare, fork's copy
    /// of a pinned page) only carried the data on: the cause is how the copier mapped the page it copied. A stale TLB
    /// entry is the cause only when the writer no longer maps that page there (as for a lost write): through an entry
    /// to the page still mapped, the write went where a fault would have put it.
    /// </summary>
    private (Decision, PageKind) CrossCause(ref TokenInfo info, Landing observed, Process observer)
    {
        var l = LandingOn(ref info, observed.Folio);
        if (l.Stale != Decision.None && !(l.Folio is not null && Kernel.Maps(info.Writer, l.Page << Geometry.PageShift, l.Folio, l.Sub)))
        {
            return (l.Stale, l.Kind);
        }
        if (info.Kind != WriteKind.Cpu && observed.Grant != Decision.None
            && info.Access <= Tokens.PartedAt(info.Writer, observer, ForkStep))
        {
            return MappedBeforeCopies(observed, observer);
        }
        if (l.Grant != Decision.None || l.Folio is null)
        {
            return (l.Grant, l.Kind);
        }
        return (l.Folio.Origin, l.Kind);
    }

    /// <summary>
    /// Where a write over several folios landed at <paramref name="addr"/> (the last landing that starts at or before
    /// its page); else the write's one landing. A lost write is judged where it was observed, not where it ended.
    /// </summary>
    private static Landing LandingAt(ref TokenInfo info, ulong addr)
    {
        var page = addr >> Geometry.PageShift;
        var at = info.Landing;
        if (info.PerFolio is { } each)
        {
            foreach (var l in each)
            {
                if (l.Page > page)
                {
                    break;
                }
                at = l;
            }
        }
        return at;
    }

    /// <summary>Where the write reached <paramref name="folio"/> when it wrote several; else its one landing.</summary>
    private static Landing LandingOn(ref TokenInfo info, Folio? folio)
    {
        if (info.PerFolio is { } each && folio is not null)
        {
            foreach (var l in each)
            {
                if (l.Folio == folio)
                {
                    return l;
                }
            }
        }
        return info.Landing;
    }

    /// <summary>
    /// How the observer came to map the page it observed (not a later reuse of it, which only granted write
    /// permission) and that page; or, when the page is a copy, how the copier mapped the page it copied and that page
    /// as it saw it, back through copies of copies. A copy whose copier is not recorded is taken to be of a page fork
    /// shared.
    /// </summary>
    private (Decision, PageKind) MappedBeforeCopies(Landing observed, Process observer)
    {
        var mappedBy = observed.Folio is null || observed.Page == 0 ? Decision.None
            : Kernel.MappedBy(observer, observed.Page << Geometry.PageShift, observed.Folio, observed.Sub);
        var (grant, kind) = (mappedBy != Decision.None ? mappedBy : observed.Grant, observed.Kind);
        var pfn = observed.Folio?.Pfn ?? 0;
        while (pfn != 0 && (IsCopy(grant) || grant is Decision.ForkCopyPinned or Decision.ForkCopyPinnedHugetlb))
        {
            var (source, through, throughKind) = _kernel.CopySource(pfn);
            if (through == Decision.None)
            {
                return (IsCopy(grant) ? ForkShareBefore(grant) : grant, kind);
            }
            (pfn, grant, kind) = (source, through, throughKind);
        }
        return (grant, kind);
    }

    /// <summary>The fork path that shared the page a COW copy was taken from: hugetlb and PMD-mapped THPs have their own.</summary>
    private static Decision ForkShareBefore(Decision copy) => copy switch
    {
        Decision.HugetlbCopy => Decision.ForkShareHugetlb,
        Decision.PmdCopyThp or Decision.PmdCopyHugeZero or Decision.PmdCopyFallback => Decision.ForkShareHuge,
        _ => Decision.ForkShare,
    };

    /// <summary>Decisions of a fault that copies a page (fork's early copy of a pinned page is not one).</summary>
    private static bool IsCopy(Decision d) => d is Decision.WpCopyMapcount or Decision.WpCopyPageCount or Decision.WpCopyZero
        or Decision.PmdCopyThp or Decision.PmdCopyHugeZero or Decision.PmdCopyFallback or Decision.HugetlbCopy or Decision.UnshareCopy;

    /// <summary>
    /// The decision behind a lost write: the stale TLB entry it went through, when that left the write on a page the
    /// writer no longer maps there (a copy replaced it, or it was unmapped); else the newer of the two pages involved
    /// (the one the write went to and the one observed), which a COW copy created; when that page is a copy of the
    /// copy (a swap-out and in, an unshare), the first copy in its line newer than the other page. A stale entry to
    /// the page still mapped put the write where a fault would have: it was lost elsewhere (a pin on an older page).
    /// </summary>
    private (Decision, PageKind) LostCause(ulong expected, Landing observed, ulong addr)
    {
        if (!_tokens.Valid(expected))
        {
            return (observed.Folio?.Origin ?? Decision.None, observed.Kind);
        }
        ref var info = ref _tokens[expected];
        var w = LandingAt(ref info, addr);
        if (w.Stale != Decision.None && !(w.Folio is not null && Kernel.Maps(info.Writer, w.Page << Geometry.PageShift, w.Folio, w.Sub)))
        {
            return (w.Stale, w.Kind);
        }
        if (w.Folio is null || observed.Folio is null)
        {
            return w.Folio is null ? (observed.Folio?.Origin ?? Decision.None, observed.Kind) : (w.Folio.Origin, w.Kind);
        }
        // Where the newer page's contents parted from the older page; a later copy of them only carried the loss.
        var (newer, older) = observed.Folio.Pfn > w.Folio.Pfn ? (observed, w) : (w, observed);
        var (origin, kind) = _kernel.Diverged(newer.Folio!, older.Folio!.Pfn);
        return (origin, kind ?? newer.Kind);
    }

    private static string Signature(ViolationKind kind, Decision cause, PageKind page) =>
        $"{ViolationKinds.Name(kind)} in {DecisionText.Of(cause)} [{PageKindNames.Of(AsSeenBy(cause, page))}]";

    /// <summary>
    /// The page as <paramref name="cause"/> saw it: a THP since split into PTEs or base pages was a THP then; a page is
    /// a swap page to do_swap_page's decisions only, whether it was read back or found in the swapcache, and a base
    /// page to every other decision, whether or not it once went through swap.
    /// </summary>
    private static PageKind AsSeenBy(Decision cause, PageKind page) => page switch
    {
        PageKind.PteThp or PageKind.Base when DecisionText.OnPmd(cause) => PageKind.Thp,
        PageKind.Swap when !DecisionText.OnSwapEntry(cause) => PageKind.Base,
        PageKind.Base when DecisionText.OnSwapEntry(cause) => PageKind.Swap,
        _ => page,
    };
}
