using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace FuzzFarm.Programs;

/// <summary>
/// A validated program: every name is bound before use and resolved to a slot. Only
/// <see cref="ProgramValidator"/> creates one, so holding a Program means it can run.
/// </summary>
public sealed class Program
{
    internal Program(ImmutableArray<string> header, ImmutableArray<Statement> statements, SlotTable slots, int slotCount, int threadCount, int linesAfterExit, bool lineless, ulong ops)
    {
        _ops = ops;
        Lineless = lineless;
        Header = header;
        Statements = statements;
        Slots = slots;
        SlotCount = slotCount;
        ThreadCount = threadCount;
        LinesAfterExit = linesAfterExit;
    }

    /// <summary>A bit per op some line uses (bit <c>1 &lt;&lt; (int)op</c>).</summary>
    private readonly ulong _ops;

    /// <summary>Comment lines before the first statement, without the leading <c>#</c>; kept by the printer.</summary>
    public ImmutableArray<string> Header { get; }

    public ImmutableArray<Statement> Statements { get; }

    /// <summary>The slots each statement's names resolve to, by statement index: a runner indexes an array with them instead of looking names up.</summary>
    public SlotTable Slots { get; }

    /// <summary>Number of binding slots a runner needs (slot 0 is t0).</summary>
    public int SlotCount { get; }

    /// <summary>Number of threads the program names, t0 included.</summary>
    public int ThreadCount { get; }

    /// <summary>
    /// Lines whose thread's process exits on an earlier line. They are skipped when they come, unless that exit was
    /// itself skipped (its thread was blocked); a fuzzer can leave such programs out.
    /// </summary>
    public int LinesAfterExit { get; }

    /// <summary>
    /// Whether some line runs <paramref name="op"/>: the validator notes each line's op as it passes, so that a runner
    /// asking before a run does not read every line again.
    /// </summary>
    public bool Uses(Op op) => (_ops & (1UL << (int)op)) != 0;

    /// <summary>
    /// The line statement <paramref name="index"/> reports: its own, or its position after the header when it has
    /// none (a fuzzer's mutants are validated without line numbers, see <see cref="ProgramValidator"/>).
    /// </summary>
    public int LineOf(int index) => Statements[index].Line is var line and not 0 ? line : Header.Length + index + 1;

    /// <summary>
    /// Every statement has line 0 and no columns (renumbered lineless, see <see cref="ProgramValidator"/>): a mutant's
    /// validation then keeps this program's leading statements without looking at each one's line and columns.
    /// </summary>
    internal bool Lineless { get; }

    /// <summary>
    /// The same program with each statement and its argument array copied, one after another in memory. A fuzzer reads
    /// every line of a corpus program for each of its mutants, and the lines a mutant kept from its ancestors lie
    /// scattered over the heap, a cache miss each. The slot table, which validating each mutant reads too, is copied
    /// right after the lines array, so that it sits at the head of the span a prefetch of the program loads.
    /// </summary>
    public Program Packed()
    {
        var statements = new Statement[Statements.Length];
        var slots = Slots.Copy();
        for (var i = 0; i < statements.Length; i++)
        {
            var s = Statements[i];
            statements[i] = s with { Args = [.. s.Args] };
        }
        return new Program(Header, ImmutableCollectionsMarshal.AsImmutableArray(statements), slots, SlotCount, ThreadCount, LinesAfterExit, Lineless, _ops);
    }

    public override string ToString() => ProgramPrinter.Print(this);
}
