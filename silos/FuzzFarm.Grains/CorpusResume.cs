using FuzzFarm.Fuzzing;
using FuzzFarm.Programs;
using FuzzFarm.Storage;

namespace FuzzFarm.Grains;

/// <summary>
/// Which of a campaign's stored corpus rows a resumed hub hands the machines, and which corpus export writes: a set
/// cover of the stored programs' features (greedy, widest first, as afl-cmin does), in the order they were stored. A
/// row whose text no longer parses is set aside (never deleted), a repeated hash counts once, and rows stored before
/// features were kept are all handed out.
/// </summary>
public static class CorpusResume
{
    public sealed record Selection(
        IReadOnlyList<CorpusRow> Kept, IReadOnlyList<CorpusRow> Pruned, IReadOnlyList<(CorpusRow Row, ProgramException Error)> Corrupt);

    /// <summary>Selects from <paramref name="rows"/> (store order); <paramref name="covered"/> receives the kept rows' features.</summary>
    public static Selection Select(IReadOnlyList<CorpusRow> rows, HashSet<uint> covered)
    {
        var corrupt = new List<(CorpusRow, ProgramException)>();
        var hashes = new HashSet<string>(StringComparer.Ordinal);
        var usable = new List<CorpusRow>(rows.Count);
        foreach (var row in rows)
        {
            if (!ProgramParser.TryParse(row.Text, out _, out var error))
            {
                corrupt.Add((row, error));
            }
            else if (hashes.Add(row.Hash))
            {
                usable.Add(row);
            }
        }
        var cover = new HashSet<long>();
        foreach (var row in usable.Where(r => r.FeatureSet is not null).OrderByDescending(r => r.FeatureSet!.Length).ThenBy(r => r.Id))
        {
            if (FeatureCover.Adds(covered, row.FeatureSet!))
            {
                cover.Add(row.Id);
            }
        }
        var kept = new List<CorpusRow>();
        var pruned = new List<CorpusRow>();
        foreach (var row in usable)
        {
            (row.FeatureSet is null || cover.Contains(row.Id) ? kept : pruned).Add(row);
        }
        return new Selection(kept, pruned, corrupt);
    }
}
