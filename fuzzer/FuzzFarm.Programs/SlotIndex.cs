namespace FuzzFarm.Programs;

/// <summary>
/// Bound names to their slots during one validation pass. The validator looks names up several times per statement of
/// every candidate program the fuzzer makes; hashing a short name's characters here and probing an open table costs
/// less than a string dictionary's comparer calls. Names are unique: <see cref="Add"/> rejects one already there.
/// </summary>
internal sealed class SlotIndex
{
    private string?[] _names = new string?[64];
    private int[] _slots = new int[64];
    /// <summary>Table positions in use, so that clearing costs only what the last pass filled.</summary>
    private readonly List<int> _filled = [];

    public void Clear()
    {
        foreach (var i in _filled)
        {
            _names[i] = null;
        }
        _filled.Clear();
    }

    public bool TryGet(string? name, out int slot)
    {
        if (name is not null)
        {
            var mask = _names.Length - 1;
            for (var i = Hash(name) & mask; _names[i] is { } held; i = (i + 1) & mask)
            {
                if (string.Equals(held, name, StringComparison.Ordinal))
                {
                    slot = _slots[i];
                    return true;
                }
            }
        }
        slot = -1;
        return false;
    }

    public void Add(string name, int slot)
    {
        if ((_filled.Count + 1) * 2 > _names.Length)
        {
            Grow();
        }
        Insert(name, slot);
    }

    private void Insert(string name, int slot)
    {
        var mask = _names.Length - 1;
        var i = Hash(name) & mask;
        for (; _names[i] is { } held; i = (i + 1) & mask)
        {
            if (string.Equals(held, name, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"'{name}' is already bound to slot {_slots[i]}");
            }
        }
        _names[i] = name;
        _slots[i] = slot;
        _filled.Add(i);
    }

    private void Grow()
    {
        var names = _names;
        var slots = _slots;
        var filled = _filled.ToArray();
        _names = new string?[names.Length * 2];
        _slots = new int[names.Length * 2];
        _filled.Clear();
        foreach (var i in filled)
        {
            Insert(names[i]!, slots[i]);
        }
    }

    /// <summary>FNV-1a over the characters: names are a few characters long, most differing only in their digits.</summary>
    private static int Hash(string name)
    {
        var h = 2166136261u;
        foreach (var c in name)
        {
            h = (h ^ c) * 16777619u;
        }
        return (int)(h ^ (h >> 16)) & int.MaxValue;
    }
}
