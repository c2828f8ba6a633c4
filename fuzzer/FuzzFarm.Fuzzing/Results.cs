namespace FuzzFarm.Fuzzing;

/// <summary>
/// What one <see cref="FuzzEngine.RunBatch"/> did: executions run, inputs that reached new coverage, new signatures,
/// known signatures seen on a program shorter than any the engine reported for them (candidates for a shorter repro),
/// and every violation its executions showed, counted by signature (known signatures included: what monitoring plots).
/// </summary>
public sealed record BatchResult(
    int Executions, IReadOnlyList<CorpusInput> NewInputs, IReadOnlyList<Finding> Findings, IReadOnlyList<Finding> Shorter,
    IReadOnlyList<ViolationCount> Violations)
{
    /// <summary>Mutants the validator rejected in this batch (each replaced by another attempt, not executed).</summary>
    public int RejectedMutants { get; init; }

    /// <summary>Places where the machine threw, first seen by the engine in this batch (bugs in the simulator).</summary>
    public IReadOnlyList<MachineError> MachineErrors { get; init; } = [];
}

/// <summary>How many violations of one signature, of kind <paramref name="Kind"/> (<c>lost-write</c> ...), the executions of a batch showed.</summary>
public sealed record ViolationCount(string Kind, string Signature, long Count);

/// <summary>
/// A program that reached <paramref name="NewFeatures"/> coverage features this engine had not seen;
/// <paramref name="Features"/> are all the features it reaches (sorted, distinct), for a hub to tell whether it adds
/// anything to the corpus of the whole farm.
/// </summary>
public sealed record CorpusInput(string ProgramText, int NewFeatures, uint[] Features);

/// <summary>The first sighting of a violation signature in an engine: the program (canonical text) and the line that violated.</summary>
public sealed record Finding(string Signature, string Kind, string ProgramText, int Line)
{
    /// <summary>Lines of the program text: its statements, as an engine prints programs without a header.</summary>
    public int Lines => LinesOf(ProgramText);

    /// <summary>Lines of a program text as an engine prints it (one statement a line).</summary>
    public static int LinesOf(string programText) => programText.AsSpan().Count('\n');
}
