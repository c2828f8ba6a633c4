using System.Collections.Immutable;
using FuzzFarm.Machine;
using FuzzFarm.Oracle;
using FuzzFarm.Programs;

namespace FuzzFarm.Fuzzing;

/// <summary>
/// Shrinks a violating program while it still violates with the same signature (on the same profiles): removes lines (with whatever depends
/// on them), folds threads into their creators, un-splits ops, replaces writes by simpler ones, simplifies arguments,
/// swaps neighbouring lines where that lets another go, and finally renames bindings in order of appearance. Deterministic; every candidate costs one execution, bounded by the budget.
/// </summary>
public static class Minimizer
{
    public const int DefaultBudget = 3000;

    public static Program Minimize(Program program, KernelProfile profile, string signature, int budget = DefaultBudget)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(signature);
        var executor = new Executor(ExecutionOptions.Fast);
        bool Shows(Program p, KernelProfile k)
        {
            foreach (var v in executor.Run(p, k).Violations)
            {
                if (v.Signature == signature)
                {
                    return true;
                }
            }
            return false;
        }
        // A shorter program with the same signature on this profile may still be another bug: an O_DIRECT read in
        // flight and an RDMA pin lose the same write to the same COW, but fork copies only the pinned page from 5.12
        // (hugetlb) on. So every candidate must also show the signature on exactly the profiles the find did, or the
        // repro's introduced/fixed would be another bug's. The other profiles run only for candidates that hold here.
        var matrix = KernelProfile.Named.Select(k => Shows(program, k)).ToArray();
        return Minimize(program, candidate =>
        {
            if (!Shows(candidate, profile))
            {
                return false;
            }
            for (var i = 0; i < matrix.Length; i++)
            {
                // The fuzzed profile, when it is a named one, was just run.
                if (KernelProfile.Named[i].Name != profile.Name && Shows(candidate, KernelProfile.Named[i]) != matrix[i])
                {
                    return false;
                }
            }
            return true;
        }, budget);
    }

    /// <summary>Shrinks a program while <paramref name="keeps"/> holds (the property to preserve, e.g. a violation or a machine crash).</summary>
    public static Program Minimize(Program program, Func<Program, bool> keeps, int budget = DefaultBudget)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(keeps);
        var run = new Attempt(keeps, budget, program.LinesAfterExit);
        var best = program.Statements.ToList();
        if (!run.Holds(best))
        {
            return program;
        }
        bool changed;
        do
        {
            changed = RemoveLines(run, ref best);
            changed |= Restructure(run, ref best);
            changed |= SimplifyOps(run, ref best);
            changed |= SimplifyArguments(run, ref best);
            if (!changed)
            {
                changed = SwapThenRemove(run, ref best);
            }
        }
        while (changed && !run.Exhausted);
        var renamed = Canonical.Rename(best);
        return run.Holds(renamed) && ProgramValidator.TryValidate(program.Header, renamed, out var p, out _)
            ? p
            : ProgramValidator.Validate(program.Header, best);
    }

    private static bool RemoveLines(Attempt run, ref List<Statement> best)
    {
        var changed = false;
        for (var i = best.Count - 1; i >= 0 && !run.Exhausted; i--)
        {
            if (i >= best.Count)
            {
                continue;
            }
            var candidate = new List<Statement>(best);
            var ok = candidate[i].Op == Op.Wait ? Mutator.UnsplitWait(candidate, i) : RemoveWithDependents(candidate, i);
            if (ok && run.Holds(candidate))
            {
                best = candidate;
                changed = true;
            }
        }
        return changed;
    }

    /// <summary>
    /// Once nothing can go as it stands: swaps two neighbouring lines (another interleaving) and retries each removal.
    /// A find often reaches the bug by another order of the same calls, where a line that the seed's order does
    /// without is still needed (a second vmsplice that makes the other process's write the one that copies).
    /// Only a swap that lets a line go is kept.
    /// </summary>
    private static bool SwapThenRemove(Attempt run, ref List<Statement> best)
    {
        for (var i = 0; i + 1 < best.Count && !run.Exhausted; i++)
        {
            var swapped = new List<Statement>(best);
            (swapped[i], swapped[i + 1]) = (swapped[i + 1], swapped[i]);
            if (!Attempt.Valid(swapped))
            {
                continue;
            }
            for (var k = swapped.Count - 1; k >= 0 && !run.Exhausted; k--)
            {
                var candidate = new List<Statement>(swapped);
                var ok = candidate[k].Op == Op.Wait ? Mutator.UnsplitWait(candidate, k) : RemoveWithDependents(candidate, k);
                if (ok && run.Holds(candidate))
                {
                    best = candidate;
                    return true;
                }
            }
        }
        return false;
    }

    private static bool RemoveWithDependents(List<Statement> s, int index)
    {
        Mutator.RemoveWithDependents(s, index);
        return true;
    }

    /// <summary>Fewer threads and fewer split ops: fold each created thread into its creator, un-split each op.</summary>
    private static bool Restructure(Attempt run, ref List<Statement> best)
    {
        var changed = false;
        for (var i = best.Count - 1; i >= 0 && !run.Exhausted; i--)
        {
            if (i >= best.Count)
            {
                continue;
            }
            var candidate = new List<Statement>(best);
            var ok = best[i].Op switch
            {
                Op.Fork or Op.Thread => Mutator.FoldThread(candidate, i),
                Op.Wait => Mutator.UnsplitWait(candidate, i),
                _ => false,
            };
            if (ok && run.Holds(candidate))
            {
                best = candidate;
                changed = true;
            }
        }
        return changed;
    }

    /// <summary>
    /// A memset or a completed O_DIRECT read that only puts data into memory becomes one CPU store at the same address;
    /// an O_DIRECT read in flight becomes the pin and device write it amounts to. What only served them (a file, the
    /// thread that waited) then goes with the next rounds of folding and line removal.
    /// </summary>
    private static bool SimplifyOps(Attempt run, ref List<Statement> best)
    {
        var changed = false;
        for (var i = 0; i < best.Count && !run.Exhausted; i++)
        {
            if (Simplified(best, i) is { } candidate && run.Holds(candidate))
            {
                best = candidate;
                changed = true;
            }
        }
        return changed;
    }

    private static List<Statement>? Simplified(List<Statement> s, int i)
    {
        if (AsStore(s[i]) is { } store)
        {
            return new List<Statement>(s) { [i] = store };
        }
        return s[i] is { Op: Op.PreadDirect, Split: true } ? AsPinAndDma(s, i) : null;
    }

    private static Statement? AsStore(Statement st) => st.Op switch
    {
        Op.Memset => Grammar.Make(st.Thread, null, Op.Store, false, [st.Args[0], st.Args[2]]),
        // A split read is I/O in flight (its pin is the point); only a completed one is a plain write.
        Op.PreadDirect when !st.Split => Grammar.Make(st.Thread, null, Op.Store, false, [st.Args[2], Arg.Num(1)]),
        _ => null,
    };

    /// <summary>
    /// The machine's split O_DIRECT read is a write GUP of the buffer at the split, then at the wait a DMA into it and
    /// the pages' release: the explicit form is <c>pin(buffer, len, rw)</c> where it starts, and where it completes a
    /// <c>dma_write</c> through that pin and an <c>unpin</c>. The DMA writes one word, the first one a later load reads
    /// back (else the first): that is the word the read's data reaches an observation through.
    /// </summary>
    private static List<Statement>? AsPinAndDma(List<Statement> s, int split)
    {
        var read = s[split];
        var handle = read.Binding!;
        var wait = s.FindIndex(split + 1, st => st.Op == Op.Wait && st.Args[0].Name == handle);
        if (wait < 0)
        {
            return null;
        }
        var buffer = read.Args[2];
        var length = read.Args[3];
        var offset = ObservedOffset(s, wait, buffer, length.Number);
        var thread = s[wait].Thread;
        var candidate = new List<Statement>(s)
        {
            [split] = Grammar.Make(read.Thread, handle, Op.Pin, false, [buffer, length, Arg.Of(Flag.Rw)]),
            [wait] = Grammar.Make(thread, null, Op.DmaWrite, false, [Arg.Ref(handle), Arg.Num(offset), Arg.Num(1)]),
        };
        candidate.Insert(wait + 1, Grammar.Make(thread, null, Op.Unpin, false, [Arg.Ref(handle)]));
        return candidate;
    }

    /// <summary>Offset in the buffer of the first word a load after <paramref name="from"/> reads inside it; 0 if none.</summary>
    private static long ObservedOffset(List<Statement> s, int from, Arg buffer, long length)
    {
        for (var i = from + 1; i < s.Count; i++)
        {
            if (s[i].Op == Op.Load && s[i].Args[0] is var address && address.Name == buffer.Name
                && address.Number >= buffer.Number && address.Number - buffer.Number < length)
            {
                return address.Number - buffer.Number;
            }
        }
        return 0;
    }

    /// <summary>Smaller, rounder arguments: offsets to 0, lengths to one page, optional flag words dropped.</summary>
    private static bool SimplifyArguments(Attempt run, ref List<Statement> best)
    {
        var changed = false;
        for (var i = 0; i < best.Count && !run.Exhausted; i++)
        {
            var st = best[i];
            for (var k = 0; k < st.Args.Length && !run.Exhausted; k++)
            {
                foreach (var simpler in Simpler(st, k))
                {
                    var args = best[i].Args.ToArray();
                    args[k] = simpler;
                    var candidate = new List<Statement>(best) { [i] = best[i] with { Args = [.. args] } };
                    if (run.Holds(candidate))
                    {
                        best = candidate;
                        changed = true;
                        break;
                    }
                }
            }
        }
        return changed;
    }

    // A page before 1 and 8: a length of 1 byte works like a page but reads as a typo in a repro.
    private static readonly long[] SimpleNumbers = [0, Sizes.Page, 1, Sizes.Word];

    private static IEnumerable<Arg> Simpler(Statement st, int k)
    {
        var a = st.Args[k];
        switch (a.Form)
        {
            case ArgForm.Name when a.Number != 0:
                yield return Arg.Ref(a.Name!);
                if (a.Number % Sizes.Page != 0)
                {
                    yield return Arg.Ref(a.Name!, a.Number - (a.Number % Sizes.Page));
                }
                break;
            case ArgForm.Number:
                foreach (var n in SimpleNumbers)
                {
                    // Once a page or more, stay a page: below it only 0 (no length at all) is simpler.
                    if (n < a.Number && (a.Number < Sizes.Page || n is 0 or Sizes.Page))
                    {
                        yield return Arg.Num(n);
                    }
                }
                break;
            case ArgForm.Flags:
                var (_, groups) = FlagWords.Rules(st.Info.Params[k]);
                var required = Flag.None;
                foreach (var g in groups)
                {
                    required |= g;
                }
                for (var bit = 1u; bit != 0; bit <<= 1)
                {
                    if (((uint)a.Flags & bit) != 0 && ((uint)required & bit) == 0)
                    {
                        yield return Arg.Of(a.Flags & ~(Flag)bit);
                    }
                }
                break;
            default:
                break;
        }
    }

    /// <summary>
    /// Checks candidates against the property, within the budget. A candidate may not add lines after an exit (moving
    /// a line past its process's exit would only make it skipped).
    /// </summary>
    private sealed class Attempt(Func<Program, bool> keeps, int budget, int linesAfterExit)
    {
        private int _left = budget;

        public bool Exhausted => _left <= 0;

        /// <summary>Whether the lines form a program at all (costs no execution).</summary>
        public static bool Valid(List<Statement> statements) =>
            ProgramValidator.TryValidate(ImmutableArray<string>.Empty, statements, out _, out _);

        public bool Holds(List<Statement> statements) =>
            _left-- > 0 && statements.Count > 0
            && ProgramValidator.TryValidate(ImmutableArray<string>.Empty, statements, out var program, out _)
            && program.LinesAfterExit <= linesAfterExit
            && keeps(program);
    }
}
