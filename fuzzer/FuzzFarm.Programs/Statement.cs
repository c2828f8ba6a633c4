using System.Collections.Immutable;

namespace FuzzFarm.Programs;

/// <summary>
/// One line of a program: <c>[thread:] [binding =] op(args) [&amp;]</c>. <see cref="Thread"/> is a thread name
/// such as <c>t0</c>. The slots its names resolve to are its <see cref="Program"/>'s (<see cref="Program.Slots"/>),
/// so that programs that number bindings differently share the statement.
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

    public OpInfo Info => OpTable.Get(Op);
}
