using System.Collections.Immutable;

namespace FuzzFarm.Programs;

/// <summary>
/// One line of a program: <c>[thread:] [binding =] op(args) [&amp;]</c>. <see cref="Thread"/> is a thread name
/// such as <c>t0</c>. The slots its names resolve to are its <see cref="Program"/>'s (<see cref="Program.Slots"/>),
/// so that programs that number bindings differently share the statement. A parsed line is a
/// <see cref="SourceStatement"/>, which also knows where its parts were written.
/// </summary>
public record Statement(string Thread, string? Binding, Op Op, ImmutableArray<Arg> Args, bool Split)
{
    public const string MainThread = "t0";

    /// <summary>1-based source line (0 for built programs).</summary>
    public int Line { get; init; }

    /// <summary>The columns of a parsed line's parts; none (all 0) for a built one.</summary>
    public StatementColumns Columns => this is SourceStatement source ? source.Written : default;

    /// <summary>1-based column where the statement starts (its thread prefix when written).</summary>
    public int Column => Columns.Start;

    /// <summary>1-based column of the bound name (0 when none, or for built programs).</summary>
    public int BindingColumn => Columns.Binding;

    /// <summary>1-based column of the op name (0 for built programs).</summary>
    public int OpColumn => Columns.Op;

    /// <summary>1-based column of the trailing <c>&amp;</c> (0 when not split, or for built programs).</summary>
    public int SplitColumn => Columns.Split;

    public OpInfo Info => OpTable.Get(Op);
}

/// <summary>1-based columns of a line's parts in its source text, 0 for a part it lacks.</summary>
public readonly record struct StatementColumns(int Start, int Binding, int Op, int Split);

/// <summary>
/// A line as parsed, with the columns of its parts for error messages. Built lines (the fuzzer's, by the hundred
/// thousand a second) are plain <see cref="Statement"/>s, 16 bytes smaller without them.
/// </summary>
public sealed record SourceStatement(string Thread, string? Binding, Op Op, ImmutableArray<Arg> Args, bool Split, StatementColumns Written)
    : Statement(Thread, Binding, Op, Args, Split);
