using System.Collections.Immutable;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FuzzFarm.Programs;

/// <summary>One validation pass over a statement list (see <see cref="ProgramValidator"/> for the rules' contract).</summary>
internal sealed class ProgramChecker
{
    private const int Free = -1;

    private ImmutableArray<string> header = [];
    private IReadOnlyList<Statement> statements = [];
    private readonly SlotIndex slotByName = new();
    private readonly List<Slot> slots = [];
    /// <summary>The slots of the lines checked so far: the program's table is made from them once the size of its slots is known.</summary>
    private LineSlots[] lineSlots = new LineSlots[32];
    // Per process: index of the statement that exited it, Free while it lives. Process 0 is t0's.
    private readonly List<int> exitedAt = [];
    private bool renumber;
    // Renumbered statements get line 0 instead of their position: Program.LineOf reads it as the position anyway.
    private bool lineless;
    private int threadCount;
    private int linesAfterExit;
    /// <summary>The ops the lines use, a bit each (see <see cref="Program.Uses"/>).</summary>
    private ulong ops;
    /// <summary>Handles bound by a split op and not yet waited: a program ending with none needs no scan of its slots.</summary>
    private int unwaited;
    private ProgramException? failure;
    private bool spellErrors;

    /// <summary>Whether a failure makes its message and column (see <see cref="Unspelled"/>).</summary>
    public bool SpellsErrors => spellErrors;

    /// <summary>What a failure gives a caller that does not want its errors spelled.</summary>
    private static readonly ProgramException Unspelled = new(0, 0, "invalid program (the error was not spelled)");

    /// <summary>One checker per thread, reused: the fuzzer validates every candidate program.</summary>
    [ThreadStatic]
    private static ProgramChecker? cached;

    public static ProgramChecker For(ImmutableArray<string> header, IReadOnlyList<Statement> statements, bool lineless = false, bool spellErrors = true)
    {
        var checker = cached ??= new ProgramChecker();
        checker.Reset(header, statements, lineless);
        checker.spellErrors = spellErrors;
        return checker;
    }

    private void Reset(ImmutableArray<string> header, IReadOnlyList<Statement> statements, bool lineless)
    {
        this.header = header;
        this.statements = statements;
        this.lineless = lineless;
        renumber = !HasSourceLines(header.Length, statements);
        slots.Clear();
        slotByName.Clear();
        exitedAt.Clear();
        exitedAt.Add(Free);
        threadCount = 1;
        linesAfterExit = 0;
        ops = 0;
        unwaited = 0;
        failure = null;
        slots.Add(new Slot(Statement.MainThread, ParamKind.Thread, Free, 0, Free, false));
        slotByName.Add(Statement.MainThread, 0);
    }

    public bool Run(Program? basis, out Program? program, out ProgramException? error)
    {
        program = null;
        if (CheckHeader() && CheckStatements(basis, out var checkedStatements, out var slotTable) && CheckAllWaited())
        {
            program = new Program(header, checkedStatements, slotTable, slots.Count, threadCount, linesAfterExit, renumber && lineless, ops);
        }
        error = failure;
        // Drop references to the caller's objects: the checker outlives the call.
        statements = [];
        return program is not null;
    }

    /// <summary>Parsed text: every statement has a line, increasing, after the header.</summary>
    private static bool HasSourceLines(int headerLines, IReadOnlyList<Statement> statements)
    {
        var previous = headerLines;
        for (var i = 0; i < statements.Count; i++)
        {
            var line = statements[i]?.Line ?? 0;
            if (line <= previous)
            {
                return false;
            }
            previous = line;
        }
        return true;
    }

    private bool CheckHeader()
    {
        for (var i = 0; i < header.Length; i++)
        {
            if (header[i] is null || header[i].AsSpan().IndexOfAny('\n', '\r') >= 0)
            {
                failure = new ProgramException(i + 1, 1, $"header line {i + 1} is null or holds a line break; expected one line of comment text");
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Checks each line, or replays one that is <paramref name="basis"/>'s own while the names, threads and processes
    /// stand as they stood before it there: its checks depend on nothing else, and it passed them in the basis. A line
    /// that binds nothing and neither waits nor exits leaves them as they were, so the replay follows the basis past a
    /// mutant's inserted, removed or changed lines of that sort, and past a changed line with the same effect.
    /// </summary>
    private bool CheckStatements(Program? basis, out ImmutableArray<Statement> result, out SlotTable resultSlots)
    {
        var list = Lines(statements);
        var output = new Statement[list.Length];
        if (lineSlots.Length < list.Length)
        {
            lineSlots = new LineSlots[Math.Max(list.Length, lineSlots.Length * 2)];
        }
        var table = lineSlots.AsSpan(0, list.Length);
        result = default;
        resultSlots = default;
        var same = basis is null ? default : basis.Statements.AsSpan();
        var sameSlots = basis?.Slots ?? default;
        // Renumbered lineless here too, the basis's statements already have the line and columns they would get.
        var checkLines = basis is not null && renumber && !(lineless && basis.Lineless);
        // The basis line whose state the names stand in (the next to match), or -1 once they differ.
        var next = basis is null ? -1 : 0;
        for (var i = 0; i < output.Length; i++)
        {
            var statement = list[i] ?? throw new InvalidOperationException($"statement {i} of the list is null");
            // Out of range ops fail their check below, before the program is made.
            ops |= 1UL << (int)statement.Op;
            if (next >= 0 && Replayable(same, ref next, statement, i, checkLines))
            {
                // The names stand as they stood before the basis line: so do its slots.
                table[i] = sameSlots[next - 1];
                Replay(i, statement, table[i]);
                output[i] = statement;
                continue;
            }
            if (!CheckStatement(i, statement, out output[i]!, out table[i]))
            {
                return false;
            }
            if (next >= 0 && Effective(statement))
            {
                next = SameEffect(same, in sameSlots, next, output[i], table[i]);
            }
        }
        result = ImmutableCollectionsMarshal.AsImmutableArray(output);
        resultSlots = SlotTable.Of(table, slots.Count);
        return true;
    }

    /// <summary>
    /// Whether <paramref name="statement"/> is the basis line at <paramref name="next"/> or after basis lines without
    /// effect there (removed from the mutant), and keeps the line it would get at <paramref name="index"/>; if so,
    /// <paramref name="next"/> moves past it.
    /// </summary>
    private bool Replayable(ReadOnlySpan<Statement> same, ref int next, Statement statement, int index, bool checkLines)
    {
        var k = next;
        while (k < same.Length && !ReferenceEquals(statement, same[k]) && !Effective(same[k]))
        {
            k++;
        }
        if (k == same.Length || !ReferenceEquals(statement, same[k]) || (checkLines && (statement.Line != RenumberedLine(index) || HasColumns(statement))))
        {
            return false;
        }
        next = k + 1;
        return true;
    }

    /// <summary>
    /// After a checked line with effects: the basis line past the next one with effects when that one had the same
    /// (the names then stand as they stood after it), else -1.
    /// </summary>
    private static int SameEffect(ReadOnlySpan<Statement> same, in SlotTable sameSlots, int next, Statement resolved, LineSlots resolvedSlots)
    {
        var k = next;
        while (k < same.Length && !Effective(same[k]))
        {
            k++;
        }
        if (k == same.Length)
        {
            return -1;
        }
        var b = same[k];
        var alike = b.Op == resolved.Op && sameSlots[k].Thread == resolvedSlots.Thread && b.Split == resolved.Split
            && string.Equals(b.Binding, resolved.Binding, StringComparison.Ordinal)
            && (b.Op != Op.Wait || sameSlots[k].First == resolvedSlots.First);
        return alike ? k + 1 : -1;
    }

    /// <summary>Whether a line changes the names, threads or processes (see <see cref="Apply"/>).</summary>
    private static bool Effective(Statement s) => s.Binding is not null || s.Op is Op.Exit or Op.Wait;

    /// <summary>The effects of a line known to pass its checks, as <see cref="CheckStatement"/> would apply them.</summary>
    private void Replay(int index, Statement s, LineSlots slotsOfLine)
    {
        CountIfAfterExit(slotsOfLine.Thread);
        Apply(index, s, s.Info, slotsOfLine.Thread, slotsOfLine.First);
    }

    /// <summary>The list's lines as a span: the fuzzer's list is read line by line twice here, an interface call each.</summary>
    private static ReadOnlySpan<Statement> Lines(IReadOnlyList<Statement> statements) => statements switch
    {
        List<Statement> list => CollectionsMarshal.AsSpan(list),
        Statement[] array => array,
        _ => statements.ToArray(),
    };

    /// <summary>Whether a statement or an argument has a column (renumbering clears them, re-creating the statement).</summary>
    private static bool HasColumns(Statement s)
    {
        if (s.Columns != default)
        {
            return true;
        }
        foreach (var a in s.Args)
        {
            if (a.Column != 0)
            {
                return true;
            }
        }
        return false;
    }

    private bool CheckStatement(int index, Statement s, out Statement? resolved, out LineSlots slotsOfLine)
    {
        resolved = null;
        slotsOfLine = default;
        if (!slotByName.TryGet(s.Thread, out var thread) || At(thread).Kind != ParamKind.Thread)
        {
            return FailNotAThread(index, s);
        }
        if ((uint)s.Op >= (uint)OpTable.All.Length)
        {
            return FailUnknownOp(index, s);
        }
        var info = OpTable.Get(s.Op);
        var args = s.Args.IsDefault ? [] : s.Args;
        if (!CheckThreadCanRun(index, s, thread, args))
        {
            return false;
        }
        if (args.Length != info.Params.Length)
        {
            return FailArgumentCount(index, info, args.Length);
        }
        Arg[]? resolvedArgs = null;
        // A valid line's name arguments are where its op takes names (OpInfo.NameArgs), at most MaxNameArgs of them.
        var first = Free;
        var second = Free;
        var argSpan = args.AsSpan();
        for (var j = 0; j < argSpan.Length; j++)
        {
            ref readonly var arg = ref argSpan[j];
            if (!CheckArg(index, info, j, in arg, out var slot))
            {
                return false;
            }
            if (slot != Free && first == Free)
            {
                first = slot;
            }
            else if (slot != Free)
            {
                second = slot;
            }
            if (renumber && arg.Column != 0)
            {
                resolvedArgs ??= [.. args];
                resolvedArgs[j] = arg with { Column = 0 };
            }
        }
        if (!CheckBinding(index, s, info) || (s.Op == Op.Wait && !CheckWait(index, first, thread)))
        {
            return false;
        }
        var bindingSlot = Apply(index, s, info, thread, first);
        slotsOfLine = new LineSlots(thread, bindingSlot, first, second);
        var line = renumber ? RenumberedLine(index) : s.Line;
        var finalArgs = resolvedArgs is null ? args : ImmutableCollectionsMarshal.AsImmutableArray(resolvedArgs);
        resolved = resolvedArgs is null && !s.Args.IsDefault && s.Line == line && !(renumber && s.Columns != default)
            ? s
            : renumber ? new Statement(s.Thread, s.Binding, s.Op, finalArgs, s.Split) { Line = line }
            : s with { Args = finalArgs, Line = line };
        return true;
    }

    // The failures are methods of their own, and each check below first decides without spelling anything, running its
    // spelling twin only to fail: a message's interpolation handlers are locals of the method that builds it, and the JIT
    // zeroes a frame of several hundred bytes for them on every call, failing or not, for every statement validated.

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool FailNotAThread(int index, Statement s) => Fail(index, StatementToken.Start, 0, $"{NotAThread(index, s.Thread)}");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool FailUnknownOp(int index, Statement s) => Fail(index, StatementToken.Op, 0, $"unknown op {(int)s.Op}; expected an op of the OpTable");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool FailArgumentCount(int index, OpInfo info, int count)
    {
        var message = $"{(count > info.Params.Length ? "too many" : "too few")} arguments: {ParamKindText.Signature(info)} takes {ParamKindText.Arguments(info.Params.Length)}, got {count}; expected {info.Params.Length}";
        return count > info.Params.Length
            ? Fail(index, StatementToken.Arg, info.Params.Length, message)
            : Fail(index, StatementToken.Op, 0, message);
    }

    /// <summary>A slot by reference: <see cref="Slot"/> is too large to copy for each field read. Valid until the next binding.</summary>
    private ref Slot At(int slot) => ref CollectionsMarshal.AsSpan(slots)[slot];

    private int SlotOf(in Arg arg) => slotByName.TryGet(arg.Name, out var slot) ? slot : Free;

    /// <summary>
    /// A thread inside a split op runs nothing but its wait. A line of a thread whose process exits earlier is valid
    /// (machine.md §1: it is skipped when it comes, and runs if the exit was skipped because its thread was blocked);
    /// it is counted in <see cref="Program.LinesAfterExit"/>.
    /// </summary>
    private bool CheckThreadCanRun(int index, Statement s, int thread, ImmutableArray<Arg> args)
    {
        CountIfAfterExit(thread);
        var busy = At(thread).Busy;
        if (busy == Free || (s.Op == Op.Wait && args.Length == 1 && SlotOf(args[0]) == busy))
        {
            return true;
        }
        return FailBusy(index, s, busy);
    }

    /// <summary>Counts a line in <see cref="Program.LinesAfterExit"/> when its thread's process has exited.</summary>
    private void CountIfAfterExit(int thread)
    {
        if (exitedAt[At(thread).Process] != Free)
        {
            linesAfterExit++;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool FailBusy(int index, Statement s, int busy)
    {
        var handle = slots[busy];
        return Fail(index, StatementToken.Start, 0,
            $"{s.Thread} is inside {OpTable.Get(statements[handle.Statement].Op).Name} (split at line {LineOf(handle.Statement)}) until wait({handle.Name}); expected a line of another thread or wait({handle.Name})");
    }

    private bool CheckArg(int index, OpInfo info, int position, in Arg arg, out int slot)
    {
        slot = Free;
        var kind = info.Params[position];
        if (kind == ParamKind.Number)
        {
            if (arg.Form == ArgForm.Number && arg.Number >= 0)
            {
                return true;
            }
        }
        else if (ParamKindText.IsFlags(kind))
        {
            if (arg.Form == ArgForm.Flags)
            {
                return CheckFlags(index, info, position, arg.Flags);
            }
        }
        else if (arg.Form == ArgForm.Name && (arg.Number == 0 || (kind == ParamKind.Address && arg.Number > 0))
            && slotByName.TryGet(arg.Name, out slot) && At(slot).Kind == kind)
        {
            return true;
        }
        return SpelledCheckArg(index, info, position, in arg, out slot);
    }

    /// <summary><see cref="CheckArg"/> spelling why the argument fails (see the failures above).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool SpelledCheckArg(int index, OpInfo info, int position, in Arg arg, out int slot)
    {
        slot = Free;
        var kind = info.Params[position];
        if (kind == ParamKind.Number)
        {
            return arg.Form != ArgForm.Number ? FailArg(index, info, position, $"is {Describe(arg)}; expected a number")
                : arg.Number >= 0 || FailArg(index, info, position, "is negative; expected a number from 0 to 0x7fffffffffffffff");
        }
        if (ParamKindText.IsFlags(kind))
        {
            return arg.Form == ArgForm.Flags ? CheckFlags(index, info, position, arg.Flags)
                : FailArg(index, info, position, $"is {Describe(arg)}; expected {ParamKindText.Expected(kind)}");
        }
        if (arg.Form != ArgForm.Name)
        {
            return FailArg(index, info, position, $"is {Describe(arg)}; expected {ParamKindText.Expected(kind)}");
        }
        if (arg.Number != 0 && kind != ParamKind.Address)
        {
            return FailArg(index, info, position, $"has an offset, which only addresses take; expected {ParamKindText.Expected(kind)}");
        }
        if (arg.Number < 0)
        {
            return FailArg(index, info, position, "has a negative offset; expected name+offset with offset from 0 to 0x7fffffffffffffff");
        }
        if (!slotByName.TryGet(arg.Name, out slot))
        {
            slot = Free;
            return Fail(index, StatementToken.Arg, position, $"{Unbound(index, arg.Name, ParamKindText.Expected(kind))}");
        }
        var bound = At(slot).Kind;
        return bound == kind || Fail(index, StatementToken.Arg, position,
            $"'{arg.Name}' is {ParamKindText.Article(bound)}; expected {ParamKindText.Expected(kind)} as argument {position + 1} of {info.Name}");
    }

    private bool CheckFlags(int index, OpInfo info, int position, Flag flags)
    {
        var (allowed, exactlyOneOf) = FlagWords.Rules(info.Params[position]);
        if ((flags & ~allowed) != 0)
        {
            return SpelledCheckFlags(index, info, position, flags);
        }
        foreach (var group in exactlyOneOf)
        {
            if (BitOperations.PopCount((uint)(flags & group)) != 1)
            {
                return SpelledCheckFlags(index, info, position, flags);
            }
        }
        return true;
    }

    /// <summary><see cref="CheckFlags"/> spelling why the flags fail.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool SpelledCheckFlags(int index, OpInfo info, int position, Flag flags)
    {
        var kind = info.Params[position];
        var (allowed, exactlyOneOf) = FlagWords.Rules(kind);
        var extra = flags & ~allowed;
        if (extra != 0)
        {
            var spelled = FlagWords.Spell(extra);
            return FailArg(index, info, position,
                $"does not allow '{(spelled.Length == 0 ? $"0x{(uint)extra:x}" : spelled)}'; expected {ParamKindText.Expected(kind)}");
        }
        foreach (var group in exactlyOneOf)
        {
            if (BitOperations.PopCount((uint)(flags & group)) != 1)
            {
                return FailArg(index, info, position,
                    $"has {(flags == Flag.None ? "no flags" : $"'{FlagWords.Spell(flags)}'")}; expected exactly one of {ParamKindText.Words(group, ", ")}");
            }
        }
        return true;
    }

    private bool CheckBinding(int index, Statement s, OpInfo info)
    {
        var name = s.Binding;
        var valid = name is null
            ? !s.Split && info.Result != ParamKind.Thread
            : !(s.Split && !info.Splittable) && Names.IsIdentifier(name) && !FlagWords.IsWord(name) && (s.Split || info.Result is not null)
                && (info.Result == ParamKind.Thread && !s.Split) == Names.IsThreadName(name) && !slotByName.TryGet(name, out _)
                && slots.Count < LineSlots.MaxSlots;
        return valid || SpelledCheckBinding(index, s, info);
    }

    /// <summary><see cref="CheckBinding"/> spelling why the binding fails.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool SpelledCheckBinding(int index, Statement s, OpInfo info)
    {
        if (s.Split && !info.Splittable)
        {
            return Fail(index, StatementToken.Split, 0, $"{info.Name} cannot be split with &; expected & only on {SplittableOps}");
        }
        var name = s.Binding;
        if (name is null)
        {
            return info.Result == ParamKind.Thread && !s.Split
                ? Fail(index, StatementToken.Op, 0, $"{info.Name}() must bind its new thread; expected tN = {info.Name}()")
                : !s.Split || Fail(index, StatementToken.Split, 0, $"a split {info.Name} needs a handle to wait on; expected h = {info.Name}(...) &");
        }
        if (!Names.IsIdentifier(name))
        {
            return Fail(index, StatementToken.Binding, 0, $"'{name}' is not a name; expected a letter or '_' then letters, digits or '_'");
        }
        if (FlagWords.IsWord(name))
        {
            return Fail(index, StatementToken.Binding, 0, $"'{name}' is a flag word and cannot be bound; expected a name that is not a flag word");
        }
        if (!s.Split && info.Result is null)
        {
            return Fail(index, StatementToken.Binding, 0, $"{info.Name} produces nothing to bind; expected no binding, or & to bind the handle of a split");
        }
        var bindsThread = info.Result == ParamKind.Thread && !s.Split;
        if (bindsThread != Names.IsThreadName(name))
        {
            return Fail(index, StatementToken.Binding, 0, bindsThread
                ? $"{info.Name}() binds a thread; expected a thread name t<digits>, e.g. t1 = {info.Name}()"
                : $"'{name}' is reserved for threads bound by fork or thread; expected another name");
        }
        if (slotByName.TryGet(name, out var previous))
        {
            return Fail(index, StatementToken.Binding, 0, previous == 0
                ? $"'{name}' is the main thread; expected a new name"
                : $"'{name}' is already bound at line {LineOf(slots[previous].Statement)}; expected a new name");
        }
        return slots.Count < LineSlots.MaxSlots
            || Fail(index, StatementToken.Binding, 0, $"'{name}' would be name {slots.Count} of the program, t0 included; expected at most {LineSlots.MaxSlots - 1} names and t0");
    }

    private bool CheckWait(int index, int handle, int thread)
    {
        ref readonly var slot = ref At(handle);
        return (slot.Waitable && slot.WaitedAt == Free && slot.Process == thread) || SpelledCheckWait(index, handle, thread);
    }

    /// <summary><see cref="CheckWait"/> spelling why the wait fails.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool SpelledCheckWait(int index, int handle, int thread)
    {
        var slot = slots[handle];
        if (!slot.Waitable)
        {
            return Fail(index, StatementToken.Arg, 0, $"'{slot.Name}' is not the handle of a split op; expected a name bound by h = op(...) &");
        }
        if (slot.WaitedAt != Free)
        {
            return Fail(index, StatementToken.Arg, 0,
                $"'{slot.Name}' was already waited at line {LineOf(slot.WaitedAt)}; expected each handle to be waited exactly once");
        }
        var starter = slots[slot.Process];
        return slot.Process == thread || Fail(index, StatementToken.Start, 0,
            $"wait({slot.Name}) runs on {slots[thread].Name}, but {starter.Name} started it at line {LineOf(slot.Statement)}; expected {starter.Name}: wait({slot.Name})");
    }

    /// <summary>The statement's effects on names, threads and processes; returns its binding slot.</summary>
    private int Apply(int index, Statement s, OpInfo info, int thread, int firstArgSlot)
    {
        var span = CollectionsMarshal.AsSpan(slots);
        switch (s.Op)
        {
            case Op.Exit:
                exitedAt[span[thread].Process] = index;
                break;
            case Op.Wait:
                span[firstArgSlot].WaitedAt = index;
                span[thread].Busy = Free;
                unwaited--;
                break;
        }
        if (s.Binding is null)
        {
            return Free;
        }
        var bound = slots.Count;
        if (s.Split)
        {
            // A handle remembers the thread that started it in Process: only that thread may wait for it.
            slots.Add(new Slot(s.Binding, ParamKind.Handle, index, thread, Free, true));
            CollectionsMarshal.AsSpan(slots)[thread].Busy = bound;
            unwaited++;
        }
        else if (info.Result == ParamKind.Thread)
        {
            var process = span[thread].Process;
            if (s.Op == Op.Fork)
            {
                process = exitedAt.Count;
                exitedAt.Add(Free);
            }
            slots.Add(new Slot(s.Binding, ParamKind.Thread, index, process, Free, false));
            threadCount++;
        }
        else
        {
            slots.Add(new Slot(s.Binding, info.Result!.Value, index, Free, Free, false));
        }
        slotByName.Add(s.Binding, bound);
        return bound;
    }

    private bool CheckAllWaited()
    {
        if (unwaited == 0)
        {
            return true;
        }
        foreach (var slot in slots)
        {
            if (slot.Waitable && slot.WaitedAt == Free)
            {
                return FailNeverWaited(slot);
            }
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool FailNeverWaited(Slot slot)
    {
        var s = statements[slot.Statement];
        return Fail(slot.Statement, StatementToken.Split, 0,
            $"{OpTable.Get(s.Op).Name} split with & is never waited; expected wait({slot.Name}) on {s.Thread} later");
    }

    private string NotAThread(int index, string? name)
    {
        const string Expected = "t0 or a thread bound by fork or thread";
        if (slotByName.TryGet(name, out var slot))
        {
            return $"'{name}' is {ParamKindText.Article(slots[slot].Kind)}, not a thread; expected {Expected}";
        }
        return Unbound(index, name, Expected);
    }

    private string Unbound(int index, string? name, string expected)
    {
        for (var later = index + 1; name is not null && later < statements.Count; later++)
        {
            if (statements[later]?.Binding == name)
            {
                return $"'{name}' is used before it is bound at line {LineOf(later)}; expected a name bound on an earlier line";
            }
        }
        return $"'{name}' is not bound; expected {expected}";
    }

    private static string Describe(in Arg arg) => arg.Form switch
    {
        ArgForm.Number => $"the number {NumberText.Format(arg.Number)}",
        ArgForm.Name => $"the name '{arg.Name}'",
        _ => $"flags '{FlagWords.Spell(arg.Flags)}'",
    };

    private static readonly string SplittableOps = string.Join(", ", OpTable.All.Where(i => i.Splittable).Select(i => i.Name));

    private int RenumberedLine(int index) => lineless ? 0 : header.Length + index + 1;

    private int LineOf(int index) => renumber ? header.Length + index + 1 : statements[index].Line;

    private bool FailArg(int index, OpInfo info, int position, [InterpolatedStringHandlerArgument("")] CheckMessage problem) =>
        Fail(index, StatementToken.Arg, position, $"argument {position + 1} of {info.Name} {problem.ToStringAndClear()}");

    private bool Fail(int index, StatementToken token, int argIndex, [InterpolatedStringHandlerArgument("")] CheckMessage message)
    {
        if (!spellErrors)
        {
            failure = Unspelled;
            return false;
        }
        var s = statements[index];
        var column = renumber || s.Column == 0 ? ProgramPrinter.ColumnOf(s, token, argIndex) : token switch
        {
            StatementToken.Start => s.Column,
            StatementToken.Binding => s.BindingColumn,
            StatementToken.Op => s.OpColumn,
            StatementToken.Split => s.SplitColumn,
            _ => argIndex < s.Args.Length ? s.Args[argIndex].Column : s.OpColumn,
        };
        failure = new ProgramException(LineOf(index), column, message.ToStringAndClear());
        return false;
    }

    /// <summary>
    /// What a slot holds. Threads: <see cref="Process"/> is their process and <see cref="Busy"/> the handle slot of
    /// the split op they are inside. Handles: <see cref="Process"/> is the slot of the thread that started them.
    /// </summary>
    private record struct Slot(string Name, ParamKind Kind, int Statement, int Process, int Busy, bool Waitable)
    {
        public int WaitedAt { get; set; } = Free;
    }
}
