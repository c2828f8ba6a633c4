namespace FuzzFarm.Machine;

/// <summary>
/// The 512 words of one 4 KiB page. Sparse while few words differ (a fill value plus overriding words: programs write
/// few words, and memset of whole pages only changes the fill, so a 2 MiB THP costs nothing until it is written);
/// dense once many do (a partial-page memset or O_DIRECT), so that no write costs more than the words it touches.
/// Values are the oracle's tokens (0 = never written).
/// </summary>
internal sealed class PageWords
{
    /// <summary>Overrides beyond this many make the page dense (a linear search stops paying).</summary>
    private const int SparseLimit = 16;

    private readonly ushort[] _index = new ushort[SparseLimit];
    private readonly ulong[] _value = new ulong[SparseLimit];
    private int _count;
    private ulong[]? _words;
    private bool _dense;

    /// <summary>The value of every word not overridden; meaningful while <see cref="Count"/> is 0.</summary>
    public ulong Fill { get; private set; }

    /// <summary>How many words may differ from <see cref="Fill"/>: 0 means the page is uniform.</summary>
    public int Count => _dense ? Geometry.WordsPerPage : _count;

    public void Reset()
    {
        Fill = 0;
        _count = 0;
        _dense = false;
    }

    public ulong Get(int word)
    {
        if (_dense)
        {
            return _words![word];
        }
        for (var i = 0; i < _count; i++)
        {
            if (_index[i] == word)
            {
                return _value[i];
            }
        }
        return Fill;
    }

    public void Set(int word, ulong value)
    {
        if (_dense)
        {
            _words![word] = value;
            return;
        }
        for (var i = 0; i < _count; i++)
        {
            if (_index[i] == word)
            {
                _value[i] = value;
                return;
            }
        }
        if (_count == SparseLimit)
        {
            MakeDense();
            _words![word] = value;
            return;
        }
        _index[_count] = (ushort)word;
        _value[_count] = value;
        _count++;
    }

    /// <summary>Sets words [from, from+count).</summary>
    public void SetRange(int from, int count, ulong value)
    {
        if (from == 0 && count == Geometry.WordsPerPage)
        {
            Fill = value;
            _count = 0;
            _dense = false;
            return;
        }
        if (!_dense && _count + count > SparseLimit)
        {
            MakeDense();
        }
        if (_dense)
        {
            _words.AsSpan(from, count).Fill(value);
            return;
        }
        for (var w = from; w < from + count; w++)
        {
            Set(w, value);
        }
    }

    private void MakeDense()
    {
        _words ??= new ulong[Geometry.WordsPerPage];
        Array.Fill(_words, Fill);
        for (var i = 0; i < _count; i++)
        {
            _words[_index[i]] = _value[i];
        }
        _count = 0;
        _dense = true;
    }

    public void CopyFrom(PageWords other)
    {
        Fill = other.Fill;
        _count = other._count;
        _dense = other._dense;
        if (_dense)
        {
            _words ??= new ulong[Geometry.WordsPerPage];
            other._words.AsSpan().CopyTo(_words);
            return;
        }
        Array.Copy(other._index, _index, _count);
        Array.Copy(other._value, _value, _count);
    }

    /// <summary>All the page's words, into <paramref name="into"/> (a page long): one fill and the overrides.</summary>
    public void CopyTo(Span<ulong> into)
    {
        if (_dense)
        {
            _words.AsSpan().CopyTo(into);
            return;
        }
        into[..Geometry.WordsPerPage].Fill(Fill);
        for (var i = 0; i < _count; i++)
        {
            into[_index[i]] = _value[i];
        }
    }

    /// <summary>True when both pages hold the same words.</summary>
    public bool SameAs(PageWords other)
    {
        if (_dense || other._dense)
        {
            for (var w = 0; w < Geometry.WordsPerPage; w++)
            {
                if (Get(w) != other.Get(w))
                {
                    return false;
                }
            }
            return true;
        }
        if (Fill != other.Fill || _count != other._count)
        {
            return false;
        }
        for (var i = 0; i < _count; i++)
        {
            if (other.Get(_index[i]) != _value[i])
            {
                return false;
            }
        }
        return true;
    }
}
