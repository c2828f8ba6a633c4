namespace FuzzFarm.Export.Emit;

/// <summary>Words [First, First+Count) of an observation hold Base + (word - First) * Step (struct ff_run in C).</summary>
internal readonly record struct Run(int First, int Count, ulong Base, int Step)
{
    /// <summary>
    /// Packs (word, token) pairs into runs: a token repeated over several words (fresh zero, one store) becomes a
    /// constant run, consecutive tokens over consecutive words (a memset, file data) an increasing one.
    /// </summary>
    public static List<Run> Pack(IEnumerable<(int Word, ulong Token)> pairs)
    {
        var distinct = pairs.Distinct().ToList();
        var runs = new List<Run>();
        var single = new List<(int Word, ulong Token)>();
        foreach (var group in distinct.GroupBy(p => p.Token))
        {
            var words = group.Select(p => p.Word).Order().ToList();
            if (words.Count == 1)
            {
                single.Add((words[0], group.Key));
                continue;
            }
            foreach (var (first, count) in Contiguous(words))
            {
                runs.Add(new Run(first, count, group.Key, 0));
            }
        }
        foreach (var group in single.GroupBy(p => p.Token - (ulong)p.Word))
        {
            var byWord = group.ToDictionary(p => p.Word, p => p.Token);
            foreach (var (first, count) in Contiguous(byWord.Keys.Order().ToList()))
            {
                runs.Add(new Run(first, count, byWord[first], 1));
            }
        }
        runs.Sort((a, b) => a.First.CompareTo(b.First));
        return runs;
    }

    private static IEnumerable<(int First, int Count)> Contiguous(List<int> sorted)
    {
        var i = 0;
        while (i < sorted.Count)
        {
            var j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1)
            {
                j++;
            }
            yield return (sorted[i], j - i + 1);
            i = j + 1;
        }
    }
}
