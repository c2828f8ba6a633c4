namespace FuzzFarm.Export.Reference;

/// <summary>
/// The contents behind a mapping in the reference model: private memory of one process (copied eagerly at fork) or a
/// shared mapping every sharer writes. Each word keeps its whole history, with the global write sequence of each entry,
/// so an observation can tell an old value of the observer's own history from a value it never had.
/// </summary>
internal sealed class MemObject
{
    private readonly Dictionary<long, List<(long Seq, ulong Token)>> _words;

    public MemObject()
    {
        _words = [];
    }

    private MemObject(Dictionary<long, List<(long Seq, ulong Token)>> words)
    {
        _words = words;
    }

    public ulong Current(long word) => _words.TryGetValue(word, out var h) ? h[^1].Token : Tokens.Zero;

    public void Write(long word, ulong token, long seq)
    {
        if (!_words.TryGetValue(word, out var h))
        {
            _words[word] = h = [];
        }
        h.Add((seq, token));
    }

    /// <summary>Every value the word ever held, fresh zero included.</summary>
    public IEnumerable<ulong> History(long word)
    {
        yield return Tokens.Zero;
        if (_words.TryGetValue(word, out var h))
        {
            foreach (var (_, token) in h)
            {
                yield return token;
            }
        }
    }

    /// <summary>The value at <paramref name="seq"/> and every value written after it.</summary>
    public IEnumerable<ulong> HeldSince(long word, long seq)
    {
        if (!_words.TryGetValue(word, out var h))
        {
            yield return Tokens.Zero;
            yield break;
        }
        var start = h.FindLastIndex(e => e.Seq <= seq);
        if (start < 0)
        {
            yield return Tokens.Zero;
            start = 0;
        }
        for (var i = start; i < h.Count; i++)
        {
            yield return h[i].Token;
        }
    }

    /// <summary>fork's eager copy: the child's history starts as the parent's.</summary>
    public MemObject Clone() => new(_words.ToDictionary(kv => kv.Key, kv => new List<(long, ulong)>(kv.Value)));
}
