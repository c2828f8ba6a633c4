using System.Numerics;

namespace FuzzFarm.Programs;

/// <summary>
/// The slots one line names, as <see cref="ProgramValidator"/> resolves them: its thread's, its binding's and its name
/// arguments' (-1 where it has none). A <see cref="Program"/> holds them (its <see cref="SlotTable"/>), not its
/// statements: a slot is a binding's place in line order, so a mutant that inserts or removes a binding moves every
/// later slot, and statements holding theirs were re-created for that alone. Each is kept plus one in 16 bits (0 for
/// none).
/// </summary>
public readonly struct LineSlots
{
    /// <summary>Most slots a program may use, t0's included: slots run from 0 to one less.</summary>
    public const int MaxSlots = ushort.MaxValue;

    /// <summary>Most name arguments an op takes (<see cref="OpTable"/> checks its rows against it).</summary>
    public const int MaxNameArgs = 2;

    private readonly ushort _thread;
    private readonly ushort _binding;
    private readonly ushort _first;
    private readonly ushort _second;

    internal LineSlots(int thread, int binding, int first, int second)
    {
        _thread = (ushort)(thread + 1);
        _binding = (ushort)(binding + 1);
        _first = (ushort)(first + 1);
        _second = (ushort)(second + 1);
    }

    /// <summary>The line from <see cref="Pack"/>'s form.</summary>
    private LineSlots(uint packed)
    {
        _thread = (byte)packed;
        _binding = (byte)(packed >> 8);
        _first = (byte)(packed >> 16);
        _second = (byte)(packed >> 24);
    }

    /// <summary>The slots in a byte each (still plus one), for a program whose slots are all below <see cref="SlotTable.NarrowSlots"/>.</summary>
    internal uint Pack() => _thread | (uint)_binding << 8 | (uint)_first << 16 | (uint)_second << 24;

    internal static LineSlots Unpack(uint packed) => new(packed);

    /// <summary>Slot of the thread that runs the line (t0 is slot 0).</summary>
    public int Thread => _thread - 1;

    /// <summary>Slot the binding is stored in, -1 when nothing is bound.</summary>
    public int Binding => _binding - 1;

    /// <summary>Slot of the line's first name argument, -1 when its op takes none.</summary>
    public int First => _first - 1;

    /// <summary>Slot of the line's second name argument, -1 when its op takes fewer than two.</summary>
    public int Second => _second - 1;

    /// <summary>The slot of argument <paramref name="position"/> of a line running <paramref name="info"/>, -1 when it takes no name there.</summary>
    public int Arg(OpInfo info, int position)
    {
        ArgumentNullException.ThrowIfNull(info);
        var names = info.NameArgs;
        if ((uint)position >= 32 || (names >> position & 1) == 0)
        {
            return -1;
        }
        return BitOperations.PopCount((uint)names & ((1u << position) - 1)) == 0 ? First : Second;
    }
}
