using System.Collections.Immutable;

namespace FuzzFarm.Programs;

/// <summary>
/// One line of a program: <c>[thread:] [binding =] op(args) [&amp;]</c>. <see cref="Thread"/> is a thread name
/// such as <c>t0</c>. Slots are filled in by <see cref="ProgramValidator"/>; a runner indexes an array with them
/// instead of looking names up.
/// </summary>
public sealed record Statement(string Thread, string? Binding, Op Op, ImmutableArray<Arg> Args, bool Split)
{
    public const string MainThread = "t0";

    /// <summary>1-based source line (0 for built programs).</summary>
    public int Line { get; init; }

    /// <summary>1-based column where the statement starts (its thread prefix when written).</summary>
    public int Column { get; init; }

    /// <summary>1-based column of the bound name (0 when none, or for built programs).</summary>
    public int BindingColumn { get; init; }

    /// <summary>1-based column of the op name (0 for built programs).</summary>
    public int OpColumn { get; init; }

    /// <summary>1-based column of the trailing <c>&amp;</c> (0 when not split, or for built programs).</summary>
    public int SplitColumn { get; init; }

    /// <summary>Slot of the thread that runs this line (t0 is slot 0).</summary>
    public int ThreadSlot { get; init; } = -1;

    /// <summary>Slot the binding is stored in, -1 when nothing is bound.</summary>
    public int BindingSlot { get; init; } = -1;

    public OpInfo Info => OpTable.Get(Op);
}
