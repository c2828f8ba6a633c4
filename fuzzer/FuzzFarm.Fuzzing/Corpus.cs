using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using FuzzFarm.Programs;

namespace FuzzFarm.Fuzzing;

/// <summary>One kept program and the coverage features it reaches.</summary>
internal sealed class CorpusEntry(Program program, uint[] features, int newFeatures)
{
    public Program Program { get; } = program;

    /// <summary>Sorted, distinct.</summary>
    public uint[] Features { get; } = features;

    public int NewFeatures { get; } = newFeatures;

    /// <summary>Estimated run cost (<see cref="CostEstimate"/>): lines plus pages touched.</summary>
    public int Cost { get; } = CostEstimate.Of(program);
}

/// <summary>
/// The programs that reached new coverage. Selection favours entries holding rare features (covered by few other
/// entries, or reached by few executions when the engine counts them) and short programs; minimization keeps a small
/// subset that still covers every feature (greedy set cover, as afl-cmin and syz-manager do). Everything is ordered
/// deterministically, so a seed replays.
/// </summary>
internal sealed class Corpus(FeatureHits? hits = null)
{
    /// <summary>
    /// A feature reached by this many executions weighs half as much as one never reached since it was found; the
    /// factor makes a seldom-exercised feature outweigh the rest of its input's.
    /// </summary>
    private const double HitScale = 256;
    private const double SeldomFactor = 8;

    /// <summary>What a feature adds to the rarity of each entry holding it, by dense id.</summary>
    private struct FeatureTerms
    {
        public uint Feature;
        public int CoveredBy;
        /// <summary>1 / <see cref="CoveredBy"/>, kept as that count changes (seldom), so that no weighing divides for it.</summary>
        public double Share;
        /// <summary>The hit-count term, as of the last <see cref="Reweigh"/>.</summary>
        public double Seldom;
    }

    private readonly List<CorpusEntry> _entries = [];
    // Each entry with its program and lines, parallel to the entries, for Pick alone: it touches the program and lines
    // along with the entry, so that the cache misses of the caller's entry -> program -> lines chain overlap instead of
    // following one another. A hint, brought up to date by Pick when the entry at an index is not the one it holds
    // (Add and Minimize leave it alone); the check compares references, so it reads no entry.
    private readonly List<(CorpusEntry Entry, Program Program, Statement[] Lines)> _hints = [];
    // Each feature gets a dense id on first sight, so that reweighing (every few thousand executions, over every
    // feature of every entry) reads its terms from an array instead of a dictionary. Most features are held by many
    // entries: reweighing computes each one's hit-count term once, not once per entry holding it.
    private readonly Dictionary<uint, int> _ids = [];
    private readonly List<FeatureTerms> _terms = [];
    private readonly List<double> _cumulative = [];
    // Parallel to the entries, for reweighing alone: each entry's features' dense ids, end to end (an entry's run ends
    // at its _idsEnd), its cost and its weight. Streaming these arrays replaced a visit to each entry object and to an
    // id array of its own, which missed the cache two or three times an entry once the corpus held thousands.
    private readonly List<int> _flatIds = [];
    private readonly List<int> _idsEnd = [];
    private readonly List<int> _costs = [];
    private readonly List<double> _weights = [];
    // Bumped whenever the cumulative weights change, so that an index found for a draw ahead of time is known current.
    private int _version;
    // Bytes prefetched at most from a span's start (the lines array and the first lines): a whole long program at once
    // (measured with 16 KB) was no faster.
    private const int MaxPrefetch = 1 << 10;
    // For each slice of the total weight (equal slices, from 0), the first entry whose cumulative weight reaches the
    // slice's start: a pick starts there and steps forward (about once, with a slice per entry) where halving over
    // every entry took a dozen dependent loads, most of them missing the cache. Rebuilt by each reweighing.
    private readonly List<int> _guide = [];
    private double _sliceWidth;
    private int _warmedVersion = -1;
    private (ulong Draw, int Index) _warmedParent;
    private (ulong Draw, int Index) _warmedDonor;
    private int _addedSinceReweigh;
    private int _sizeAtLastMinimize;

    public int Count => _entries.Count;

    public IReadOnlyList<CorpusEntry> Entries => _entries;

    /// <summary>The selection weight of the entry at <paramref name="index"/>, as of the last weighing.</summary>
    public double WeightAt(int index) => _weights[index];

    public void Add(CorpusEntry entry)
    {
        _entries.Add(entry);
        var start = _flatIds.Count;
        foreach (var feature in entry.Features)
        {
            ref var id = ref CollectionsMarshal.GetValueRefOrAddDefault(_ids, feature, out var known);
            if (!known)
            {
                id = _terms.Count;
                _terms.Add(new FeatureTerms { Feature = feature });
            }
            _flatIds.Add(id);
            ref var terms = ref CollectionsMarshal.AsSpan(_terms)[id];
            terms.Share = 1.0 / ++terms.CoveredBy;
        }
        _idsEnd.Add(_flatIds.Count);
        _costs.Add(entry.Cost);
        // Reweighing every entry costs a pass over every feature: do it only as the corpus grows by a quarter (or as
        // the engine asks), and weigh the new entry alone in between.
        var weight = WeightOf(CollectionsMarshal.AsSpan(_flatIds)[start..], entry);
        _weights.Add(weight);
        _cumulative.Add((_cumulative.Count == 0 ? 0 : _cumulative[^1]) + weight);
        _version++;
        if (_guide.Count == 0)
        {
            BuildGuide();
        }
        else
        {
            ExtendGuide();
        }
        if (++_addedSinceReweigh >= Math.Max(16, _entries.Count / 4))
        {
            Reweigh();
        }
        if (_entries.Count >= 256 && _entries.Count >= _sizeAtLastMinimize * 2)
        {
            Minimize();
        }
    }

    /// <summary>
    /// The entry a generator's draw picks by weight. The caller draws, so that <see cref="Warm"/>'s caller can see which
    /// numbers the picks will take.
    /// </summary>
    public CorpusEntry Pick(ulong draw)
    {
        var picked = _version != _warmedVersion ? IndexOf(draw)
            : draw == _warmedParent.Draw ? _warmedParent.Index
            : draw == _warmedDonor.Draw ? _warmedDonor.Index
            : IndexOf(draw);
        var entry = _entries[picked];
        if (picked >= _hints.Count || !ReferenceEquals(_hints[picked].Entry, entry))
        {
            RefreshHints(picked);
        }
        var (_, program, lines) = _hints[picked];
        // Loads whose values are dropped (the JIT keeps them as null checks): each starts its cache line's fill now.
        _ = program.SlotCount;
        _ = lines.Length;
        return entry;
    }

    /// <summary>
    /// Starts loading the entries <see cref="Pick"/> will pick for <paramref name="parentDraw"/> and
    /// <paramref name="donorDraw"/> (values the engine's generator will draw next), with their programs and lines, so
    /// that the cache misses overlap the run in between instead of stalling the mutation; and keeps their indices,
    /// which Pick reuses while the weights stay as they are.
    /// </summary>
    public void Warm(ulong parentDraw, ulong donorDraw)
    {
        _warmedVersion = _version;
        _warmedParent = (parentDraw, IndexOf(parentDraw));
        _warmedDonor = (donorDraw, IndexOf(donorDraw));
        Prefetch(_warmedParent.Index, whole: true);
        // The donor's lines are read only by a splice, seldom.
        Prefetch(_warmedDonor.Index, whole: false);
    }

    /// <summary>
    /// Prefetches the entry at <paramref name="picked"/> and the head of its program, or with <paramref name="whole"/>
    /// all of it: <see cref="Program.Packed"/> allocates the lines array first, then each line's arguments and line,
    /// then the program, and the collector keeps their order when it moves them, so the span from the lines array to
    /// the program holds the whole program. A hint left stale by a minimization only loads another entry.
    /// </summary>
    private void Prefetch(int picked, bool whole)
    {
        if (picked < _hints.Count)
        {
            var (entry, program, lines) = _hints[picked];
            PrefetchSpan(entry, entry);
            PrefetchSpan(program, program);
            PrefetchSpan(lines, whole ? program : lines);
        }
    }

    /// <summary>
    /// Asks the CPU to load the cache lines from <paramref name="first"/> through <paramref name="last"/>'s first line,
    /// without waiting for them (a plain load would stall once the reorder window filled behind it), at most
    /// <see cref="MaxPrefetch"/> bytes. An address stale by a collection in between only loads lines for nothing.
    /// </summary>
    private static unsafe void PrefetchSpan(object first, object last)
    {
        if (!Sse.IsSupported)
        {
            return;
        }
        var from = Unsafe.As<object, nint>(ref first);
        var to = Unsafe.As<object, nint>(ref last);
        to = to < from ? from : Math.Min(to, from + MaxPrefetch);
        for (var a = from; a <= to; a += 64)
        {
            Sse.Prefetch0((void*)a);
        }
    }

    /// <summary>The first entry whose cumulative weight reaches the point <paramref name="draw"/> falls on.</summary>
    private int IndexOf(ulong draw)
    {
        var r = (draw >> 11) * (1.0 / (1UL << 53)) * _cumulative[^1];
        var slice = Math.Min((int)(r / _sliceWidth), _guide.Count - 1);
        while (SliceStart(slice) > r)
        {
            slice--;
        }
        // Every entry before the slice's first reaches less than the slice's start, so less than r.
        var sums = CollectionsMarshal.AsSpan(_cumulative);
        var i = _guide[slice];
        while (i < sums.Length && sums[i] < r)
        {
            i++;
        }
        return Math.Min(i, _entries.Count - 1);
    }

    /// <summary>Refills the guide for the current weights, a slice about as wide as the average weight.</summary>
    private void BuildGuide()
    {
        var sums = CollectionsMarshal.AsSpan(_cumulative);
        _guide.Clear();
        if (sums.Length == 0)
        {
            return;
        }
        _sliceWidth = sums[^1] / sums.Length;
        var i = 0;
        for (var slice = 0; SliceStart(slice) <= sums[^1]; slice++)
        {
            while (sums[i] < SliceStart(slice))
            {
                i++;
            }
            _guide.Add(i);
        }
    }

    /// <summary>
    /// Adds the slices the entry just added reaches: each starts past every earlier entry's sum and at most at the new
    /// entry's, which is their first entry. The slices before stay right (their first entries are all earlier).
    /// </summary>
    private void ExtendGuide()
    {
        var total = _cumulative[^1];
        for (var slice = _guide.Count; SliceStart(slice) <= total; slice++)
        {
            _guide.Add(_cumulative.Count - 1);
        }
    }

    private double SliceStart(int slice) => slice * _sliceWidth;

    /// <summary>
    /// Brings the hints up to date: those of the entries added since, or, when the hint at <paramref name="stale"/>
    /// is for another entry (the corpus was minimized), all of them.
    /// </summary>
    private void RefreshHints(int stale)
    {
        if (stale < _hints.Count)
        {
            _hints.Clear();
        }
        for (var i = _hints.Count; i < _entries.Count; i++)
        {
            var e = _entries[i];
            _hints.Add((e, e.Program, ImmutableCollectionsMarshal.AsArray(e.Program.Statements)!));
        }
    }

    /// <summary>Keeps a subset that covers every feature the corpus covers, preferring rare-feature holders and short programs.</summary>
    public void Minimize()
    {
        var order = Enumerable.Range(0, _entries.Count)
            .OrderByDescending(i => _entries[i].Features.Length)
            .ThenBy(i => _entries[i].Cost)
            .ThenBy(i => i)
            .ToList();
        var covered = new HashSet<uint>();
        var kept = new List<int>(_entries.Count);
        // Greedy set cover: widest entries first (cheapest among equals); keep one if it adds a feature.
        foreach (var i in order)
        {
            if (FeatureCover.Adds(covered, _entries[i].Features))
            {
                kept.Add(i);
            }
        }
        var entries = _entries.ToArray();
        var ids = _flatIds.ToArray();
        var ends = _idsEnd.ToArray();
        _entries.Clear();
        _flatIds.Clear();
        _idsEnd.Clear();
        _costs.Clear();
        _weights.Clear();
        var terms = CollectionsMarshal.AsSpan(_terms);
        foreach (ref var t in terms)
        {
            t.CoveredBy = 0;
        }
        foreach (var i in kept)
        {
            _entries.Add(entries[i]);
            _costs.Add(entries[i].Cost);
            // Reweigh below sets every weight.
            _weights.Add(0);
            foreach (var id in ids.AsSpan(IdRange(ends, i)))
            {
                _flatIds.Add(id);
                terms[id].CoveredBy++;
            }
            _idsEnd.Add(_flatIds.Count);
        }
        foreach (ref var t in terms)
        {
            t.Share = 1.0 / t.CoveredBy;
        }
        _sizeAtLastMinimize = _entries.Count;
        Reweigh();
    }

    /// <summary>Recomputes every entry's weight: the counts it depends on change with the corpus and every execution.</summary>
    public void Reweigh()
    {
        _cumulative.Clear();
        _version++;
        _addedSinceReweigh = 0;
        var terms = CollectionsMarshal.AsSpan(_terms);
        foreach (ref var t in terms)
        {
            // Without hit counts the term is 0, and adding 0.0 to a positive sum leaves every bit of it.
            t.Seldom = hits is { } reached ? Seldom(reached.Of(t.Feature)) : 0;
        }
        var ids = CollectionsMarshal.AsSpan(_flatIds);
        var ends = CollectionsMarshal.AsSpan(_idsEnd);
        var costs = CollectionsMarshal.AsSpan(_costs);
        var weights = CollectionsMarshal.AsSpan(_weights);
        var sum = 0.0;
        for (var i = 0; i < weights.Length; i += 2)
        {
            var a = ids[IdRange(ends, i)];
            var b = i + 1 < weights.Length ? ids[IdRange(ends, i + 1)] : [];
            var (rarityA, rarityB) = Rarities(terms, a, b);
            weights[i] = Weight(rarityA, costs[i]);
            sum += weights[i];
            _cumulative.Add(sum);
            if (i + 1 < weights.Length)
            {
                weights[i + 1] = Weight(rarityB, costs[i + 1]);
                sum += weights[i + 1];
                _cumulative.Add(sum);
            }
        }
        BuildGuide();
    }

    /// <summary>Where entry <paramref name="index"/>'s feature ids lie in the flat array whose entries end at <paramref name="ends"/>.</summary>
    private static Range IdRange(ReadOnlySpan<int> ends, int index) => (index == 0 ? 0 : ends[index - 1])..ends[index];

    /// <summary>
    /// The rarities of two entries, each summed in the order <see cref="WeightOf"/> sums it (the same bits), the two
    /// sums interleaved: each is a chain of dependent additions, and two chains keep the adder busy while one waits.
    /// </summary>
    private static (double, double) Rarities(ReadOnlySpan<FeatureTerms> terms, ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        double rarityA = 0, rarityB = 0;
        var both = Math.Min(a.Length, b.Length);
        for (var k = 0; k < both; k++)
        {
            ref readonly var ta = ref terms[a[k]];
            ref readonly var tb = ref terms[b[k]];
            rarityA += ta.Share;
            rarityB += tb.Share;
            rarityA += ta.Seldom;
            rarityB += tb.Seldom;
        }
        return (Rarity(terms, a, both, rarityA), Rarity(terms, b, both, rarityB));
    }

    /// <summary>Adds the terms of <paramref name="ids"/> from <paramref name="from"/> on to <paramref name="rarity"/>.</summary>
    private static double Rarity(ReadOnlySpan<FeatureTerms> terms, ReadOnlySpan<int> ids, int from, double rarity)
    {
        for (var k = from; k < ids.Length; k++)
        {
            ref readonly var t = ref terms[ids[k]];
            rarity += t.Share;
            rarity += t.Seldom;
        }
        return rarity;
    }

    /// <summary>The weight of one entry, its hit-count terms as of now (an entry added between reweighings).</summary>
    private double WeightOf(ReadOnlySpan<int> ids, CorpusEntry e)
    {
        var terms = CollectionsMarshal.AsSpan(_terms);
        var rarity = 0.0;
        for (var k = 0; k < ids.Length; k++)
        {
            rarity += terms[ids[k]].Share;
            if (hits is not null)
            {
                rarity += Seldom(hits.Of(e.Features[k]));
            }
        }
        return Weight(rarity, e.Cost);
    }

    private static double Seldom(uint hits) => SeldomFactor * HitScale / (HitScale + hits);

    // Short, cheap programs give more variety per second; the 1 keeps every entry reachable.
    private static double Weight(double rarity, int cost) => (1.0 + rarity) / (4 + cost);
}
