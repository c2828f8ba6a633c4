using FuzzFarm.Programs;

namespace FuzzFarm.Export.Reference;

/// <summary>Kernel features an exported program needs; the C program refuses to run (SKIP) when one is missing.</summary>
[Flags]
public enum Features
{
    None = 0,
    Hugetlb = 1,
    Thp = 2,
    Uffd = 4,
    IoUring = 8,
    ODirect = 16,
    SoftDirty = 32,
    Swap = 64,
}

internal enum StepKind
{
    Normal,
    /// <summary>A CPU write the model says blocks on userfaultfd: the step lets others run before it writes.</summary>
    BlockingWrite,
    /// <summary>exit(): the watcher ends the step once the process is gone.</summary>
    Exit,
}

/// <summary>What one observed word may read: the values it may hold (first the one the model holds now) and the
/// observer's whole history there, which tells a lost write from a value of another process.</summary>
internal sealed class WordExpectation
{
    public List<ulong> Want { get; } = [];

    public HashSet<ulong> History { get; } = [];
}

/// <summary>One line that runs, in program order, with what the reference model expects of it.</summary>
internal sealed class PlannedStep(int index, Statement statement, LineSlots slots)
{
    public int Index { get; } = index;

    public Statement Statement { get; } = statement;

    /// <summary>The slots the line's names resolve to (its row of <see cref="Program.Slots"/>).</summary>
    public LineSlots Slots { get; } = slots;

    public StepKind Kind { get; set; }

    /// <summary>Observed words, for observations other than pagemap.</summary>
    public List<WordExpectation>? Expect { get; set; }

    /// <summary>
    /// The error the call must end with after changing what it could: ENOMEM for an mprotect or madvise over a hole,
    /// EINVAL for an munmap or mprotect that would split a hugetlb mapping off its 2M grid (null: it must succeed).
    /// </summary>
    public string? Errno { get; set; }

    /// <summary>
    /// vmsplice over a hole: the bytes before it, which the kernel splices (a short count) before a call for the rest
    /// fails with EFAULT. Null when the whole range is mapped.
    /// </summary>
    public long? SplicedLength { get; set; }

    /// <summary>pagemap: the page was written since the last clear_refs, so soft-dirty must read 1.</summary>
    public bool MustBeDirty { get; set; }

    /// <summary>uffd_resolve: the steps of the blocked writes it serves, in the order they blocked.</summary>
    public List<int> Resolves { get; } = [];

    /// <summary>
    /// A write that waits on a fault only its own thread could serve. The program asked for it (its thread wrote its
    /// own protected page), so it is not the oracle's hang, which needs a wait the kernel imposed (5.8's forced COW).
    /// </summary>
    public bool BlockedForever { get; set; }
}

/// <summary>The reference model's run of a program: the steps that run, and what the C program needs.</summary>
internal sealed class Plan(Program program)
{
    public Program Program { get; } = program;

    public List<PlannedStep> Steps { get; } = [];

    public Features Needs { get; set; }

    /// <summary>Pipe slot → bytes of pipe buffer it needs so that vmsplice never blocks (one page per spliced page).</summary>
    public Dictionary<int, long> PipeCapacity { get; } = [];

    /// <summary>Lines the model skips because their thread is blocked or its process exited.</summary>
    public List<int> SkippedLines { get; } = [];
}
