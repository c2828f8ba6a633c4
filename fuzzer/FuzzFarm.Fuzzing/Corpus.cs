using System.Runtime.InteropServices;
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

    /// <summary>The features' dense ids in the corpus holding the entry, parallel to <see cref="Features"/>.</summary>
    public int[] Ids { get; set; } = [];

    /// <summary>Selection weight, recomputed when the corpus changes and as the engine's hit counts grow.</summary>
    public double Weight { get; set; }
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

    private readonly List<CorpusEntry> _entries = [];
    // Each feature gets a dense id on first sight, so that reweighing (every few thousand executions, over every
    // feature of every entry) reads counts from an array instead of a dictionary.
    private readonly Dictionary<uint, int> _ids = [];
    private readonly List<int> _coveredBy = [];
    private readonly List<double> _cumulative = [];
    private int _addedSinceReweigh;
    private int _sizeAtLastMinimize;

    public int Count => _entries.Count;

    public IReadOnlyList<CorpusEntry> Entries => _entries;

    public void Add(CorpusEntry entry)
    {
        _entries.Add(entry);
        var ids = new int[entry.Features.Length];
        for (var k = 0; k < ids.Length; k++)
        {
            ref var id = ref CollectionsMarshal.GetValueRefOrAddDefault(_ids, entry.Features[k], out var known);
            if (!known)
            {
                id = _coveredBy.Count;
                _coveredBy.Add(0);
            }
            ids[k] = id;
            _coveredBy[id]++;
        }
        entry.Ids = ids;
        // Reweighing every entry costs a pass over every feature: do it only as the corpus grows by a quarter (or as
        // the engine asks), and weigh the new entry alone in between.
        entry.Weight = WeightOf(entry);
        _cumulative.Add((_cumulative.Count == 0 ? 0 : _cumulative[^1]) + entry.Weight);
        if (++_addedSinceReweigh >= Math.Max(16, _entries.Count / 4))
        {
            Reweigh();
        }
        if (_entries.Count >= 256 && _entries.Count >= _sizeAtLastMinimize * 2)
        {
            Minimize();
        }
    }

    public CorpusEntry Pick(Rng rng)
    {
        var total = _cumulative[^1];
        var r = (rng.NextULong() >> 11) * (1.0 / (1UL << 53)) * total;
        // The first entry whose cumulative weight reaches r (weights are positive, so the sums strictly increase).
        var sums = CollectionsMarshal.AsSpan(_cumulative);
        int lo = 0, hi = sums.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sums[mid] < r)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return _entries[Math.Min(lo, _entries.Count - 1)];
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
        var kept = new List<CorpusEntry>(_entries.Count);
        // Greedy set cover: widest entries first (cheapest among equals); keep one if it adds a feature.
        foreach (var i in order)
        {
            if (FeatureCover.Adds(covered, _entries[i].Features))
            {
                kept.Add(_entries[i]);
            }
        }
        _entries.Clear();
        _entries.AddRange(kept);
        var counts = CollectionsMarshal.AsSpan(_coveredBy);
        counts.Clear();
        foreach (var e in _entries)
        {
            foreach (var id in e.Ids)
            {
                counts[id]++;
            }
        }
        _sizeAtLastMinimize = _entries.Count;
        Reweigh();
    }

    /// <summary>Recomputes every entry's weight: the counts it depends on change with the corpus and every execution.</summary>
    public void Reweigh()
    {
        _cumulative.Clear();
        _addedSinceReweigh = 0;
        var sum = 0.0;
        foreach (var e in _entries)
        {
            e.Weight = WeightOf(e);
            sum += e.Weight;
            _cumulative.Add(sum);
        }
    }

    private double WeightOf(CorpusEntry e)
    {
        var counts = CollectionsMarshal.AsSpan(_coveredBy);
        var rarity = 0.0;
        for (var k = 0; k < e.Ids.Length; k++)
        {
            rarity += 1.0 / counts[e.Ids[k]];
            if (hits is not null)
            {
                rarity += SeldomFactor * HitScale / (HitScale + hits.Of(e.Features[k]));
            }
        }
        // Short, cheap programs give more variety per second; the 1 keeps every entry reachable.
        return (1.0 + rarity) / (4 + e.Cost);
    }
}
