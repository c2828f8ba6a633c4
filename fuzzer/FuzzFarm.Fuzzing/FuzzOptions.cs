namespace FuzzFarm.Fuzzing;

/// <summary>How an engine fuzzes. The defaults are the coverage-guided fuzzer; <see cref="Blind"/> is the baseline.</summary>
public sealed record FuzzOptions
{
    /// <summary>Coverage guidance (corpus, mutation). Off: every program is freshly generated and feedback is ignored.</summary>
    public bool CoverageGuided { get; init; } = true;

    /// <summary>Share of executions that run a freshly generated program instead of a mutant of the corpus.</summary>
    public int GeneratePercent { get; init; } = 25;

    /// <summary>
    /// Executions at the start that only generate, drawing exactly what the blind baseline draws: what generation
    /// finds that early, guided fuzzing finds at the same execution (it is never structurally worse than blind), and
    /// mutation starts from a corpus of that many programs' coverage instead of from the first few.
    /// </summary>
    public int WarmUpExecutions { get; init; } = 4000;

    /// <summary>Upper bound on the number of calls of a generated program.</summary>
    public int MaxGeneratedCalls { get; init; } = 14;

    /// <summary>
    /// Runs before each execution; whatever it throws is taken as the machine throwing on that program. For tests of
    /// how a machine bug is reported: the machine itself is expected never to throw.
    /// </summary>
    internal Action<Programs.Program>? BeforeExecute { get; init; }

    public static FuzzOptions Default { get; } = new();

    public static FuzzOptions Blind { get; } = new() { CoverageGuided = false };
}
