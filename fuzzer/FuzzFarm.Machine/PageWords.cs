namespace FuzzFarm.Machine;

/// <summary>
/// The 512 words of one 4 KiB page, stored sparsely: a fill value plus a few overriding words. Programs write few
/// words, and memset of whole pages only changes the fill, so a 2 MiB THP costs nothing until it is written.
/// Values are the oracle's tokens (0 = never written).
/// </summary>
internal sealed class PageWords
{
    private ushort[] _index = new ushort[8];
    private ulong[] _value = new ulong[8];

    public ulong Fill { get; private set; }

    public int Count { get; private set; }

    public void Reset()
    {
        Fill = 0;
        Count = 0;
    }

    public ulong Get(int word)
    {
        for (var i = 0; i < Count; i++)
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
        for (var i = 0; i < Count; i++)
        {
            if (_index[i] == word)
            {
                _value[i] = value;
                return;
            }
        }
        if (Count == _index.Length)
        {
            Array.Resize(ref _index, Count * 2);
            Array.Resize(ref _value, Count * 2);
        }
        _index[Count] = (ushort)word;
        _value[Count] = value;
        Count++;
    }

    /// <summary>Sets words [from, from+count).</summary>
    public void SetRange(int from, int count, ulong value)
    {
        if (from == 0 && count == Geometry.WordsPerPage)
        {
            Fill = value;
            Count = 0;
            return;
        }
        for (var w = from; w < from + count; w++)
        {
            Set(w, value);
        }
    }

    public void CopyFrom(PageWords other)
    {
        Fill = other.Fill;
        Count = other.Count;
        if (_index.Length < Count)
        {
            _index = new ushort[other._index.Length];
            _value = new ulong[other._value.Length];
        }
        Array.Copy(other._index, _index, Count);
        Array.Copy(other._value, _value, Count);
    }

    /// <summary>True when both pages hold the same words (compared sparsely: fill and overrides).</summary>
    public bool SameAs(PageWords other)
    {
        if (Fill != other.Fill || Count != other.Count)
        {
            return false;
        }
        for (var i = 0; i < Count; i++)
        {
            if (other.Get(_index[i]) != _value[i])
            {
                return false;
            }
        }
        return true;
    }

}
