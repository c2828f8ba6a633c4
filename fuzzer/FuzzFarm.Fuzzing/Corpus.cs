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

    /// <summary>Selection weight, recomputed when the corpus changes.</summary>
    public double Weight { get; set; }
}

/// <summary>
/// The programs that reached new coverage. Selection favours entries holding rare features (covered by few other
/// entries) and short programs; minimization keeps a small subset that still covers every feature (greedy set cover,
/// as afl-cmin and syz-manager do). Everything is ordered deterministically, so a seed replays.
/// </summary>
internal sealed class Corpus
{
    private readonly List<CorpusEntry> _entries = [];
    private readonly Dictionary<uint, int> _coveredBy = [];
    private readonly List<double> _cumulative = [];
    private int _addedSinceReweigh;
    private int _sizeAtLastMinimize;

    public int Count => _entries.Count;

    public IReadOnlyList<CorpusEntry> Entries => _entries;

    public void Add(CorpusEntry entry)
    {
        _entries.Add(entry);
        foreach (var f in entry.Features)
        {
            _coveredBy[f] = _coveredBy.GetValueOrDefault(f) + 1;
        }
        // Rarity weights cost a pass over every feature: refresh them only as the corpus grows by a quarter, and
        // give each entry added in between a provisional weight from its own new features.
        entry.Weight = (1.0 + entry.NewFeatures) / (4 + entry.Cost);
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
        _coveredBy.Clear();
        foreach (var e in _entries)
        {
            foreach (var f in e.Features)
            {
                _coveredBy[f] = _coveredBy.GetValueOrDefault(f) + 1;
            }
        }
        _sizeAtLastMinimize = _entries.Count;
        Reweigh();
    }

    private void Reweigh()
    {
        _cumulative.Clear();
        _addedSinceReweigh = 0;
        var sum = 0.0;
        for (var i = 0; i < _entries.Count; i++)
        {
            var e = _entries[i];
            var rarity = 0.0;
            foreach (var f in e.Features)
            {
                rarity += 1.0 / _coveredBy[f];
            }
            // Short, cheap programs give more variety per second; the 1 keeps every entry reachable.
            e.Weight = (1.0 + rarity) / (4 + e.Cost);
            sum += e.Weight;
            _cumulative.Add(sum);
        }
    }
}
