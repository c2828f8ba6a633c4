using System.Runtime.CompilerServices;
using FuzzFarm.Machine;
using FuzzFarm.Programs;

namespace FuzzFarm.Oracle;

/// <summary>
/// Runs programs on the simulated machine beside the reference model and checks every observation.
/// Reusable and not thread-safe: keep one per core. It pools the machine's objects, so after warm-up a run
/// allocates only what its result needs. For a fuzzer's hot loop use <see cref="ExecutionOptions.Fast"/>: no
/// observation strings or skipped lines, and <see cref="Run"/> returns the same result object each time (valid until
/// the next run).
/// Deterministic: the same (program, profile) always gives the same result.
/// </summary>
public sealed partial class Executor
{
    private readonly ExecutionOptions _options;
    private readonly Kernel _kernel = new();
    private readonly Tokens _tokens = new();
    private readonly ReferenceMemory _ref = new();
    private readonly ExecutionResult _reused = new();
    private ExecutionResult _result = null!;
    private long[] _slots = new long[16];
    private Program _program = null!;
    /// <summary>
    /// The statement whose thread the current line's violations, skips and observations name (an index, not the
    /// name: storing a string on every line costs a GC write barrier); <see cref="_line"/> is its line.
    /// </summary>
    private int _current;
    private int _line;
    /// <summary>Index of the statement the main loop is running.</summary>
    private int _index;
    /// <summary>Whether a line of this run blocked: only then can a thread be left hanging.</summary>
    private bool _blocked;

    public Executor(ExecutionOptions? options = null)
    {
        _options = options ?? new ExecutionOptions();
    }

    public ExecutionOptions Options => _options;

    public ExecutionResult Run(Program program, KernelProfile profile)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(profile);
        _result = _options.ReuseResult ? _reused : new ExecutionResult();
        _result.Clear();
        if (_options.Trace)
        {
            _result.TraceList = [];
        }
        _program = program;
        _kernel.Reset(profile, Math.Max(program.SlotCount, 1));
        _tokens.Clear();
        _ref.Clear();
        ResetTrackers(program);
        _blocked = false;
        if (_slots.Length < program.SlotCount)
        {
            _slots = new long[Math.Max(program.SlotCount, _slots.Length * 2)];
        }
        // -1: not bound yet, or the op that binds it failed. Slots past the program's are never read.
        _slots.AsSpan(0, Math.Max(program.SlotCount, 1)).Fill(-1);
        _slots[0] = 0;
        var statements = program.Statements;
        var slots = program.Slots;
        for (var i = 0; i < statements.Length; i++)
        {
            if (_options.StopAtFirstViolation && _result.ViolationList.Count > 0)
            {
                break;
            }
            var st = statements[i];
            var names = slots[i];
            var t = _kernel.Threads[names.Thread];
            _index = i;
            _line = program.LineOf(i);
            _current = i;
            BeginTrace();
            if (t is null || t.State != RunState.Running)
            {
                if (_options.Skips)
                {
                    _result.SkipList.Add(new Skip(_line, st.Thread, SkipReason(t)));
                }
                EndTrace(st, _line);
                continue;
            }
            RunStatement(i, st, names, t, split: st.Split);
            if (_kernel.Woken.Count > 0)
            {
                RunWoken();
            }
            EndTrace(st, _line);
        }
        if (_blocked)
        {
            ReportHangs();
        }
        _result.SetCoverage(_kernel.Coverage.Unordered);
        _program = null!;
        return _result;
    }

    private string SkipReason(SimThread? t) => t is null ? "thread not started" : t.State == RunState.Exited ? "thread exited"
        : t.BlockedOn == BlockKind.Uffd ? $"thread blocked on a userfaultfd (handler {_kernel.Uffds[t.BlockedId].Handler})"
        : $"thread blocked on the mmap lock of P{t.BlockedId}";

    /// <summary>Threads woken by the line just run resume their blocked op now, in wake order.</summary>
    private void RunWoken()
    {
        for (var guard = 0; guard < 256 && _kernel.Woken.Count > 0; guard++)
        {
            var t = _kernel.Woken[0];
            _kernel.Woken.RemoveAt(0);
            if (t.State != RunState.Running || t.PendingStatement < 0)
            {
                continue;
            }
            var index = t.PendingStatement;
            t.PendingStatement = -1;
            var st = _program.Statements[index];
            var line = _line;
            var current = _current;
            _line = _program.LineOf(index);
            _current = index;
            Trace($"{st.Thread} resumes line {_line} ({st.Info.Name})");
            // A split op that blocked before its preemption point stops there once resumed, so the lines up to its
            // wait still run inside its window; only if that wait already came (skipped, its thread was blocked)
            // does it run through, as nothing would finish it.
            RunStatement(index, st, _program.Slots[index], t, split: st.Split && !WaitPassed(index));
            _line = line;
            _current = current;
        }
    }

    /// <summary>Whether the wait for the handle statement <paramref name="index"/> binds is at or before the current line.</summary>
    private bool WaitPassed(int index)
    {
        var statements = _program.Statements;
        var slots = _program.Slots;
        var handle = slots[index].Binding;
        for (var j = index + 1; j <= _index; j++)
        {
            if (statements[j].Op == Op.Wait && slots[j].First == handle)
            {
                return true;
            }
        }
        return false;
    }

    private void BeginTrace()
    {
        if (_options.Trace)
        {
            _kernel.Trace = [];
        }
    }

    private void EndTrace(Statement st, int line)
    {
        if (_options.Trace)
        {
            _result.TraceList!.Add(new TraceEntry(line, st.Thread, st.Info.Name, _kernel.Trace!));
            _kernel.Trace = null;
        }
    }

    /// <summary>Whether the kernel is recording the current line's trace.</summary>
    internal bool Tracing => _kernel.Trace is not null;

    private void Trace(string text) => _kernel.Trace?.Add(text);

    private void Trace([InterpolatedStringHandlerArgument("")] ref TraceText text)
    {
        if (Tracing)
        {
            _kernel.Trace!.Add(text.ToStringAndClear());
        }
    }

    private string CurrentThread => _program.Statements[_current].Thread;

    // RunStatement is too large for the JIT to inline these on its own.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong Addr(in Arg a, int slot) => (ulong)(_slots[slot] + a.Number);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Id(int slot) => (int)_slots[slot];

    private void Skip(string reason)
    {
        if (_options.Skips)
        {
            _result.SkipList.Add(new Skip(_line, CurrentThread, reason));
        }
    }

    /// <summary>Threads the kernel left blocked for good, each at the line it blocked on.</summary>
    private void ReportHangs()
    {
        foreach (var t in _kernel.Threads)
        {
            if (t is { PendingStatement: >= 0 } && _kernel.Hang(t) is { } hang)
            {
                _line = _program.LineOf(t.PendingStatement);
                _current = t.PendingStatement;
                AddViolation(ViolationKind.Hang, hang.Signature, hang.Detail);
            }
        }
    }

    /// <summary>Turns the kernel's warnings into violations at the current line.</summary>
    private void TakeKernelEvents()
    {
        foreach (var e in _kernel.Events)
        {
            AddViolation(ViolationKind.KernelWarn, e.Signature, e.Detail);
        }
        _kernel.Events.Clear();
    }

    private void AddViolation(ViolationKind kind, string signature, string detail)
    {
        foreach (var v in _result.ViolationList)
        {
            if (v.Line == _line && v.Signature == signature)
            {
                return;
            }
        }
        _result.ViolationList.Add(new Violation(kind, signature, _line, CurrentThread, detail));
        Trace($"VIOLATION {signature}: {detail}");
    }
}
