using System.Collections;

namespace FuzzFarm.Programs;

/// <summary>
/// The <see cref="LineSlots"/> of every line of a program, by statement index. A program with fewer than
/// <see cref="NarrowSlots"/> slots (every one the fuzzer makes) keeps a line in 4 bytes, a byte a slot; a larger one
/// in 8. The fuzzer makes a table for every program it runs, and most of what it allocates is its programs.
/// </summary>
public readonly struct SlotTable : IReadOnlyList<LineSlots>
{
    /// <summary>Slots a program may have for its table to keep a byte a slot (each is kept plus one).</summary>
    public const int NarrowSlots = byte.MaxValue;

    private readonly uint[]? _narrow;
    private readonly LineSlots[]? _wide;

    private SlotTable(uint[]? narrow, LineSlots[]? wide)
    {
        _narrow = narrow;
        _wide = wide;
    }

    public LineSlots this[int index] => _narrow is { } narrow ? LineSlots.Unpack(narrow[index]) : _wide![index];

    public int Count => _narrow?.Length ?? _wide?.Length ?? 0;

    /// <summary>Whether the table keeps a byte a slot (see <see cref="NarrowSlots"/>).</summary>
    public bool IsNarrow => _narrow is not null;

    /// <summary>A table of <paramref name="lines"/>, of a program with <paramref name="slotCount"/> slots.</summary>
    internal static SlotTable Of(ReadOnlySpan<LineSlots> lines, int slotCount)
    {
        if (slotCount > NarrowSlots)
        {
            return new SlotTable(null, lines.ToArray());
        }
        var narrow = new uint[lines.Length];
        for (var i = 0; i < lines.Length; i++)
        {
            narrow[i] = lines[i].Pack();
        }
        return new SlotTable(narrow, null);
    }

    /// <summary>The same table in a new array (see <see cref="Program.Packed"/>).</summary>
    internal SlotTable Copy() => new(_narrow?.Clone() as uint[], _wide?.Clone() as LineSlots[]);

    public IEnumerator<LineSlots> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
