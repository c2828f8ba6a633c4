using System.Globalization;
using System.Text;
using FuzzFarm.Export.Reference;
using FuzzFarm.Programs;

namespace FuzzFarm.Export.Emit;

/// <summary>
/// Writes the C program for a plan: the step tables, the runtime, the expectations of every observation and one
/// function per program thread whose steps wait for their turn on the shared sequence counter.
/// </summary>
internal sealed class CWriter
{
    private static readonly Lazy<string> Runtime = new(LoadRuntime);

    private readonly Plan _plan;
    private readonly StringBuilder _c = new();

    private CWriter(Plan plan)
    {
        _plan = plan;
    }

    public static string Write(Plan plan)
    {
        var w = new CWriter(plan);
        w.Header();
        w._c.Append(Runtime.Value);
        w.Globals();
        w.Expectations();
        w.Threads();
        w.Main();
        return w._c.ToString();
    }

    private void Line(string text = "") => _c.Append(text).Append('\n');

    private void Header()
    {
        var steps = _plan.Steps;
        Line("/*");
        Line(" * Exported by `fuzzfarm export-c` from this FuzzFarm program (machine.md §1):");
        Line(" *");
        foreach (var text in ProgramPrinter.Print(_plan.Program).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Line(" *   " + text.Replace("*/", "* /", StringComparison.Ordinal));
        }
        Line(" *");
        Line(" * Build: gcc -pthread -o prog prog.c    Run: ./prog    (needs no arguments; prints one result per line)");
        Line(" * Each write stores a token naming its line and word instead of the program's value, as the oracle's");
        Line(" * memory does, so every observation says who wrote what it read. Lines run one at a time, in program");
        Line(" * order, whatever process or thread they belong to.");
        if (_plan.SkippedLines.Count > 0)
        {
            Line($" * Lines skipped because their thread is blocked or its process exited: {string.Join(", ", _plan.SkippedLines)}.");
        }
        Line(" */");
        Line($"#define FF_STEPS {steps.Count}");
        Line($"#define FF_SLOTS {_plan.Program.SlotCount}");
        Line($"static const int ff_step_line[FF_STEPS] = {{{string.Join(", ", steps.Select(s => s.Statement.Line))}}};");
        Line($"static const char *const ff_step_thread[FF_STEPS] = {{{string.Join(", ", steps.Select(s => Quote(s.Statement.Thread)))}}};");
        Line();
    }

    private void Globals()
    {
        Line();
        Line("/* ---- the program ---- */");
        Line();
        Line("/* Bindings, indexed by the program's slots; a forked child inherits its parent's, as it does the memory.");
        Line("   Index FF_SLOTS holds the results of ops whose result the program does not bind. */");
        Line("static char *ff_addr[FF_SLOTS + 1];");
        Line("static int ff_pipes[FF_SLOTS + 1][2];");
        Line("static struct ff_pin ff_pins[FF_SLOTS + 1];");
        Line("static struct ff_file ff_files[FF_SLOTS + 1];");
        Line("static int ff_uffds[FF_SLOTS + 1];");
        Line();
    }

    private void Expectations()
    {
        foreach (var step in _plan.Steps.Where(s => s.Expect is not null))
        {
            var words = step.Expect!;
            var want = Run.Pack(words.Select((w, i) => (i, w.Want[0])));
            want.AddRange(Run.Pack(words.SelectMany((w, i) => w.Want.Skip(1).Select(t => (i, t)))));
            var hist = Run.Pack(words.SelectMany((w, i) => w.History.Select(t => (i, t))));
            var k = step.Index;
            Line($"/* line {step.Statement.Line}: {ProgramPrinter.Print(step.Statement)} */");
            var wantName = RunArray($"ff_want_{k}", want);
            var histName = RunArray($"ff_hist_{k}", hist);
            Line($"static const struct ff_expect ff_exp_{k} = {{{words.Count}, {want.Count}, {hist.Count}, {wantName}, {histName}}};");
        }
        Line();
    }

    private string RunArray(string name, List<Run> runs)
    {
        if (runs.Count == 0)
        {
            return "NULL";
        }
        Line($"static const struct ff_run {name}[] = {{");
        foreach (var r in runs)
        {
            Line($"    {{{r.First}, {r.Count}, {Hex(r.Base)}, {r.Step}}},");
        }
        Line("};");
        return name;
    }

    private void Threads()
    {
        var threads = _plan.Steps.Select(s => s.Statement.Thread)
            .Concat(_plan.Steps.Where(s => s.Statement.Op is Op.Fork or Op.Thread).Select(s => s.Statement.Binding!))
            .Prepend(Statement.MainThread).Distinct().ToList();
        foreach (var t in threads)
        {
            Line($"static void ff_run_{t}(void);");
        }
        foreach (var s in _plan.Steps.Where(s => s.Statement.Op == Op.Thread))
        {
            var t = s.Statement.Binding!;
            Line($"static void *ff_thread_{t}(void *arg)");
            Line("{");
            Line("    (void)arg;");
            Line($"    ff_run_{t}();");
            Line("    return NULL;");
            Line("}");
        }
        foreach (var t in threads)
        {
            Line();
            Line($"static void ff_run_{t}(void)");
            Line("{");
            foreach (var step in _plan.Steps.Where(s => s.Statement.Thread == t))
            {
                Step(step);
            }
            Line("}");
        }
    }

    private void Step(PlannedStep step)
    {
        var s = step.Statement;
        var k = step.Index;
        Line($"    /* line {s.Line}: {ProgramPrinter.Print(s).Replace("*/", "* /", StringComparison.Ordinal)} */");
        foreach (var note in Notes(step))
        {
            Line($"    /* {note} */");
        }
        Line($"    ff_begin({k}, {s.Line}, {Quote(s.Thread)});");
        switch (step.Kind)
        {
            case StepKind.Exit:
                Line("    ff_exit_process();");
                return;
            case StepKind.BlockingWrite:
                Line($"    ff_release({k});");
                Line("    " + Code(step));
                Line($"    ff_blocked_done({k});");
                return;
            default:
                Line("    " + Code(step));
                Line($"    ff_end({k});");
                return;
        }
    }

    private static IEnumerable<string> Notes(PlannedStep step)
    {
        var s = step.Statement;
        if (s.Split)
        {
            yield return $"split (&) in the program: user space cannot stop the kernel inside {s.Info.Name} at its preemption point, "
                + "so it runs whole here and the matching wait() is empty; the race the split names is not forced";
        }
        if (s.Op == Op.Pin && (s.Args[2].Flags & Flag.Rw) == 0)
        {
            yield return "io_uring registers fixed buffers with FOLL_WRITE|FOLL_LONGTERM: this read-only pin runs as a writable pin";
        }
        if (s.Op == Op.Pin && (s.Args[2].Flags & Flag.Fast) != 0)
        {
            yield return "io_uring chooses its own GUP path: 'fast' is not expressible";
        }
        if (step.Kind == StepKind.BlockingWrite)
        {
            yield return step.BlockedForever
                ? "the reference model says this write waits forever on a fault only this thread could serve"
                : "the reference model says this write blocks on a userfaultfd write-protect fault until uffd_resolve";
        }
    }

    private string Code(PlannedStep step)
    {
        var s = step.Statement;
        var k = step.Index;
        return s.Op switch
        {
            Op.Mmap => $"ff_addr[{Bound(step)}] = ff_mmap({N(s, 0)}, {Prot(s.Args[1].Flags)}, {Bit(s.Args[2].Flags, Flag.Shared)}, "
                + $"{Bit(s.Args[2].Flags, Flag.Populate)}, {Bit(s.Args[2].Flags, Flag.Hugetlb)});",
            Op.Munmap => Checked(step, $"munmap({A(step, 0)}, {N(s, 1)})", "munmap"),
            Op.Mprotect => Checked(step, $"mprotect({A(step, 0)}, {N(s, 1)}, {Prot(s.Args[2].Flags)})", "mprotect"),
            Op.Madvise => Checked(step, $"madvise({A(step, 0)}, {N(s, 1)}, {Advice(s.Args[2].Flags)})", Advice(s.Args[2].Flags)),
            Op.Store => $"ff_store({A(step, 0)}, {Hex(Tokens.Write(s.Line, 0))});",
            Op.Memset => $"ff_memset({A(step, 0)}, {s.Args[1].Number / 8}, {Hex(Tokens.Write(s.Line, 0))});",
            Op.Load => $"ff_load({A(step, 0)}, &ff_exp_{k});",
            Op.Fork => $"{{ pid_t c = fork(); if (c < 0) ff_fail(\"fork\", \"fork\"); "
                + $"if (c == 0) {{ ff_process_start({step.Slots.Binding}); ff_run_{s.Binding}(); ff_finish_process(); }} ff->pid[{step.Slots.Binding}] = c; }}",
            Op.Thread => $"{{ pthread_t th; ff->pid[{step.Slots.Binding}] = getpid(); "
                + $"if (pthread_create(&th, NULL, ff_thread_{s.Binding}, NULL) != 0) ff_fail(\"thread\", \"pthread_create\"); }}",
            Op.Pipe => $"ff_pipe(ff_pipes[{Bound(step)}], {_plan.PipeCapacity[step.Slots.Binding]});",
            Op.Vmsplice => $"ff_vmsplice(ff_pipes[{step.Slots.First}], {A(step, 1)}, {N(s, 2)}, {(step.SplicedLength ?? s.Args[2].Number).ToString(CultureInfo.InvariantCulture)});",
            Op.Read => $"ff_pipe_read(ff_pipes[{step.Slots.First}], {N(s, 1)}, &ff_exp_{k});",
            Op.Pin => $"ff_pin(&ff_pins[{Bound(step)}], {A(step, 0)}, {N(s, 1)});",
            Op.Unpin => $"ff_unpin(&ff_pins[{step.Slots.First}]);",
            Op.DmaWrite => $"ff_dma_write(&ff_pins[{step.Slots.First}], {N(s, 1)}, {Hex(Tokens.Write(s.Line, 0))});",
            Op.DmaRead => $"ff_dma_read(&ff_pins[{step.Slots.First}], {N(s, 1)}, &ff_exp_{k});",
            Op.File => $"ff_file(&ff_files[{Bound(step)}], {N(s, 0)}, {Hex(Tokens.FreshFile(s.Line, 0))});",
            Op.PreadDirect => $"ff_pread_direct(&ff_files[{step.Slots.First}], {N(s, 1)}, {A(step, 2)}, {N(s, 3)});",
            Op.Write => $"ff_write(&ff_files[{step.Slots.First}], {N(s, 1)}, {A(step, 2)}, {N(s, 3)});",
            Op.ProcessVmReadv => $"ff_process_vm_readv({step.Slots.First}, {A(step, 1)}, {N(s, 2)}, &ff_exp_{k});",
            Op.ClearRefs => $"ff_clear_refs({step.Slots.First});",
            Op.Pagemap => $"ff_pagemap({A(step, 0)}, {(step.MustBeDirty ? 1 : 0)});",
            Op.Uffd => $"ff_uffds[{Bound(step)}] = ff_uffd();",
            Op.UffdRegister => $"ff_uffd_register(ff_uffds[{step.Slots.First}], {A(step, 1)}, {N(s, 2)});",
            Op.UffdWp => $"ff_uffd_wp(ff_uffds[{step.Slots.First}], {A(step, 1)}, {N(s, 2)}, {Bit(s.Args[3].Flags, Flag.On)});",
            Op.UffdResolve => step.Resolves.Count == 0
                ? $"ff_uffd_resolve(ff_uffds[{step.Slots.First}], NULL, 0);"
                : $"{{ static const uint32_t served[] = {{{string.Join(", ", step.Resolves)}}}; ff_uffd_resolve(ff_uffds[{step.Slots.First}], served, {step.Resolves.Count}); }}",
            Op.Wait => "/* wait: its operation already ran whole at its start line */",
            _ => throw new ExportException(s.Line, $"{s.Info.Name} has no export"),
        };
    }

    /// <summary>A call returning 0 or -1: it must succeed, or fail with the errno the reference model expects.</summary>
    private static string Checked(PlannedStep step, string call, string what) => step.Errno is { } errno
        ? $"ff_expect_errno({call}, {errno}, \"{step.Statement.Info.Name}\", \"{what} ({errno} expected)\");"
        : $"if ({call} != 0) ff_fail(\"{step.Statement.Info.Name}\", \"{what}\");";

    private void Main()
    {
        var hangs = _plan.Steps.Where(s => s.Kind == StepKind.BlockingWrite && s.BlockedForever).Select(s => s.Index).ToList();
        var needs = new List<string>();
        foreach (var (f, c) in new[]
        {
            (Features.Hugetlb, "FF_F_HUGETLB"), (Features.Thp, "FF_F_THP"), (Features.Uffd, "FF_F_UFFD"),
            (Features.IoUring, "FF_F_IOURING"), (Features.ODirect, "FF_F_ODIRECT"), (Features.SoftDirty, "FF_F_SOFTDIRTY"),
            (Features.Swap, "FF_F_SWAP"),
        })
        {
            if ((_plan.Needs & f) != 0)
            {
                needs.Add(c);
            }
        }
        Line();
        Line("int main(void)");
        Line("{");
        if (hangs.Count > 0)
        {
            Line($"    static const uint32_t hangs[] = {{{string.Join(", ", hangs)}}};");
        }
        Line($"    return ff_main(ff_run_t0, {(needs.Count == 0 ? "0" : string.Join(" | ", needs))}, {(hangs.Count > 0 ? "hangs" : "NULL")}, {hangs.Count});");
        Line("}");
    }

    private static string A(PlannedStep step, int i)
    {
        var arg = step.Statement.Args[i];
        var slot = step.Slots.Arg(step.Statement.Info, i);
        return arg.Number == 0 ? $"ff_addr[{slot}]" : $"(ff_addr[{slot}] + {Hex((ulong)arg.Number)})";
    }

    /// <summary>The slot an op's result goes to; an unbound result goes to the spare index FF_SLOTS.</summary>
    private static string Bound(PlannedStep step) =>
        step.Slots.Binding < 0 ? "FF_SLOTS" : step.Slots.Binding.ToString(CultureInfo.InvariantCulture);

    private static string N(Statement s, int i) => s.Args[i].Number.ToString(CultureInfo.InvariantCulture);

    private static string Hex(ulong v) => $"0x{v:x}ull";

    private static string Quote(string text) => $"\"{text}\"";

    private static string Bit(Flag flags, Flag bit) => (flags & bit) != 0 ? "1" : "0";

    private static string Prot(Flag prot) => prot switch
    {
        Flag.Rw => "PROT_READ | PROT_WRITE",
        Flag.R => "PROT_READ",
        _ => "PROT_NONE",
    };

    private static string Advice(Flag advice) => advice switch
    {
        Flag.DontFork => "MADV_DONTFORK",
        Flag.DoFork => "MADV_DOFORK",
        Flag.HugePage => "MADV_HUGEPAGE",
        Flag.NoHugePage => "MADV_NOHUGEPAGE",
        Flag.DontNeed => "MADV_DONTNEED",
        _ => "MADV_PAGEOUT",
    };

    private static string LoadRuntime()
    {
        using var stream = typeof(CWriter).Assembly.GetManifestResourceStream("FuzzFarm.Export.runtime.c")
            ?? throw new InvalidOperationException("runtime.c is not embedded in FuzzFarm.Export");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
