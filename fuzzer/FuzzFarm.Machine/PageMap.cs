using System.Numerics;
using System.Runtime.CompilerServices;

namespace FuzzFarm.Machine;

/// <summary>
/// A map from 64-bit page keys that an execution fills and the next one empties: <see cref="Clear"/> costs nothing,
/// whatever capacity a large execution once grew (a Dictionary's Clear writes every bucket, and removing entries one
/// by one walks every slot ever used and hashes each key again). Open addressing over an insertion-ordered
/// array of entries; a table slot counts only when stamped with the current generation. Keys enumerate in insertion
/// order, and removing one while enumerating is allowed.
/// </summary>
internal sealed class PageMap<TValue>
{
    private long[] _keys = new long[16];
    private TValue[] _values = new TValue[16];
    private bool[] _live = new bool[16];
    /// <summary>Entries appended since the last Clear, live or removed.</summary>
    private int _used;
    /// <summary>Per table slot: the entry's index, or -1 for a removed one (still occupied, so probes go on).</summary>
    private int[] _slots = new int[32];
    private int[] _stamps = new int[32];
    /// <summary>
    /// The table in use is slots [0, _mask]: after a large execution it shrinks back (see <see cref="Clear"/>) while the
    /// arrays stay, so a small one probes a few cache lines instead of slots spread over megabytes.
    /// </summary>
    private int _mask = 31;
    private int _generation = 1;
    /// <summary>Table slots stamped in this generation (entries and removed ones).</summary>
    private int _occupied;

    public int Count { get; private set; }

    public void Clear()
    {
        // Shrink only a table that was far too large for what the generation used, so that one refilled to about the
        // same size does not grow again step by step.
        if (_occupied * 16 < _mask + 1)
        {
            _mask = Math.Max(32, (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(_occupied, 8) * 4)) - 1;
        }
        Count = 0;
        _used = 0;
        _occupied = 0;
        if (++_generation == int.MaxValue)
        {
            Array.Clear(_stamps);
            _generation = 1;
        }
    }

    public bool ContainsKey(long key) => Find(key) >= 0;

    public bool TryGetValue(long key, out TValue value)
    {
        var e = Find(key);
        if (e < 0)
        {
            value = default!;
            return false;
        }
        value = _values[e];
        return true;
    }

    public TValue this[long key]
    {
        get => Find(key) is var e and >= 0 ? _values[e] : throw new KeyNotFoundException($"key {key}");
        set => GetValueRefOrAddDefault(key) = value;
    }

    /// <summary>The value of <paramref name="key"/> by reference, or a null reference when absent.</summary>
    public ref TValue GetValueRefOrNullRef(long key)
    {
        var e = Find(key);
        if (e < 0)
        {
            return ref Unsafe.NullRef<TValue>();
        }
        return ref _values[e];
    }

    /// <summary>The value of <paramref name="key"/> by reference, added as default when absent.</summary>
    public ref TValue GetValueRefOrAddDefault(long key)
    {
        var mask = _mask;
        var i = Home(key, mask);
        while (_stamps[i] == _generation)
        {
            var e = _slots[i];
            if (e >= 0 && _keys[e] == key)
            {
                return ref _values[e];
            }
            i = (i + 1) & mask;
        }
        if (2 * (_occupied + 1) > mask + 1)
        {
            Rehash();
            mask = _mask;
            i = Home(key, mask);
            while (_stamps[i] == _generation)
            {
                i = (i + 1) & mask;
            }
        }
        if (_used == _keys.Length)
        {
            Array.Resize(ref _keys, _used * 2);
            Array.Resize(ref _values, _used * 2);
            Array.Resize(ref _live, _used * 2);
        }
        var n = _used++;
        _keys[n] = key;
        _values[n] = default!;
        _live[n] = true;
        _stamps[i] = _generation;
        _slots[i] = n;
        _occupied++;
        Count++;
        return ref _values[n];
    }

    public bool Remove(long key) => Remove(key, out _);

    public bool Remove(long key, out TValue value)
    {
        var mask = _mask;
        var i = Home(key, mask);
        while (_stamps[i] == _generation)
        {
            var e = _slots[i];
            if (e >= 0 && _keys[e] == key)
            {
                value = _values[e];
                _slots[i] = -1;
                _live[e] = false;
                Count--;
                return true;
            }
            i = (i + 1) & mask;
        }
        value = default!;
        return false;
    }

    /// <summary>The live keys in insertion order.</summary>
    public KeyEnumerable Keys => new(this);

    private int Find(long key)
    {
        var mask = _mask;
        var i = Home(key, mask);
        while (_stamps[i] == _generation)
        {
            var e = _slots[i];
            if (e >= 0 && _keys[e] == key)
            {
                return e;
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    private static int Home(long key, int mask) => (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> 40) & mask;

    /// <summary>Re-places the live entries in a table at least four times their number (removed ones are dropped).</summary>
    private void Rehash()
    {
        var size = Math.Max(_mask + 1, (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(Count + 1, 8) * 4));
        _mask = size - 1;
        if (size > _slots.Length)
        {
            _slots = new int[size];
            _stamps = new int[size];
            _generation = 1;
        }
        else if (++_generation == int.MaxValue)
        {
            Array.Clear(_stamps);
            _generation = 1;
        }
        var mask = size - 1;
        _occupied = 0;
        for (var e = 0; e < _used; e++)
        {
            if (!_live[e])
            {
                continue;
            }
            var i = Home(_keys[e], mask);
            while (_stamps[i] == _generation)
            {
                i = (i + 1) & mask;
            }
            _stamps[i] = _generation;
            _slots[i] = e;
            _occupied++;
        }
    }

    public readonly struct KeyEnumerable(PageMap<TValue> map)
    {
        public KeyEnumerator GetEnumerator() => new(map);
    }

    public struct KeyEnumerator(PageMap<TValue> map)
    {
        private int _e = -1;

        public readonly long Current => map._keys[_e];

        public bool MoveNext()
        {
            while (++_e < map._used)
            {
                if (map._live[_e])
                {
                    return true;
                }
            }
            return false;
        }
    }
}
