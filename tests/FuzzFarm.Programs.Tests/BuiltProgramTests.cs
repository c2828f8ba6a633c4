using System.Collections.Immutable;
using Xunit;

namespace FuzzFarm.Programs.Tests;

/// <summary>Programs built as statements (the fuzzer's way): slots, line numbers and located errors.</summary>
public class BuiltProgramTests
{
    private static Statement S(string thread, string? binding, Op op, bool split, params Arg[] args) =>
        new(thread, binding, op, [.. args], split);

    private static Statement S(string? binding, Op op, params Arg[] args) => S(Statement.MainThread, binding, op, false, args);

    [Fact]
    public void NamesResolveToSlotsInBindingOrder()
    {
        var program = ProgramParser.Parse("""
            a = mmap(8K, rw, private)
            p = pipe()
            t1 = fork()
            t1: t2 = thread()
            t2: h = store(a+8, 1) &
            t1: vmsplice(p, a, 4K)
            t2: wait(h)
            t2: clear_refs(t1)

            """);
        Assert.Equal(6, program.SlotCount);
        Assert.Equal(3, program.ThreadCount);
        var s = program.Statements;
        var slots = program.Slots;
        Assert.Equal([1, 2, 3, 4, 5, -1, -1, -1], slots.Select(x => x.Binding));
        Assert.Equal([0, 0, 0, 3, 4, 3, 4, 4], slots.Select(x => x.Thread));
        Assert.Equal([2, 1, -1], Enumerable.Range(0, 3).Select(j => slots[5].Arg(s[5].Info, j)));
        Assert.Equal((2, 1), (slots[5].First, slots[5].Second));
        Assert.Equal(1, slots[4].Arg(s[4].Info, 0));
        Assert.Equal(5, slots[6].First);
        Assert.Equal(3, slots[7].First);
        Assert.Equal(-1, slots[4].Arg(s[4].Info, 1));
        Assert.Equal(-1, slots[4].Second);
        Assert.Equal([("a", 1), ("p", 2), ("t1", 3), ("t2", 4), ("h", 5)],
            s.Select((st, i) => (Name: st.Binding, Slot: slots[i].Binding)).Where(b => b.Name is not null).Select(b => (b.Name!, b.Slot)));
    }

    [Fact]
    public void APackedProgramIsTheSameProgramInNewObjectsAndValidatesAsItsOwnBasis()
    {
        var program = ProgramParser.Parse("""
            # header
            a = mmap(8K, rw, private)
            t1 = fork()
            t1: h = store(a+8, 1) &
            t1: wait(h)

            """);

        var packed = program.Packed();

        Assert.Equal(ProgramPrinter.Print(program), ProgramPrinter.Print(packed));
        Assert.Equal(program.Slots, packed.Slots);
        Assert.Equal((program.SlotCount, program.ThreadCount, program.LinesAfterExit), (packed.SlotCount, packed.ThreadCount, packed.LinesAfterExit));
        Assert.All(program.Statements.Zip(packed.Statements), pair =>
        {
            Assert.NotSame(pair.First, pair.Second);
            Assert.Equal(pair.First.Line, pair.Second.Line);
            Assert.Equal(pair.First.Args.ToArray(), pair.Second.Args.ToArray());
        });
        Assert.True(ProgramValidator.TryValidate(packed.Header, packed.Statements, packed, out var again, out _));
        Assert.All(packed.Statements.Zip(again.Statements), pair => Assert.Same(pair.First, pair.Second));
    }

    [Fact]
    public void AProgramKnowsTheOpsOfItsLinesAsCheckedAndAsReplayedFromItsBasis()
    {
        var program = ProgramParser.Parse("""
            a = mmap(8K, rw, private)
            t1 = fork()
            t1: h = store(a+8, 1) &
            t1: wait(h)

            """);
        // Program.Uses keeps a bit per op in a ulong: a 65th op would share a bit with the first.
        Assert.InRange(Enum.GetValues<Op>().Length, 1, 64);
        Op[] used = [Op.Mmap, Op.Store, Op.Fork, Op.Wait];
        Assert.Equal(used, Enum.GetValues<Op>().Where(program.Uses));
        Assert.Equal(used, Enum.GetValues<Op>().Where(program.Packed().Uses));

        var mutant = program.Statements.ToList();
        mutant.Add(S(null, Op.Pagemap, Arg.Ref("a")));
        Assert.True(ProgramValidator.TryValidate([], mutant, program, out var observed, out _));
        Assert.Equal([Op.Mmap, Op.Store, Op.Fork, Op.Pagemap, Op.Wait], Enum.GetValues<Op>().Where(observed.Uses));
    }

    [Fact]
    public void AnInsertedBindingMovesTheLaterSlotsAndKeepsTheLaterStatements()
    {
        var parent = Lineless(
            S("a", Op.Mmap, Arg.Num(8192), Arg.Of(Flag.Rw), Arg.Of(Flag.Private)),
            S(null, Op.Store, Arg.Ref("a"), Arg.Num(1)),
            S("p", Op.Pipe),
            S(null, Op.Vmsplice, Arg.Ref("p"), Arg.Ref("a", 8), Arg.Num(4096)),
            S("t1", Op.Thread),
            S("t1", null, Op.Load, false, Arg.Ref("a")));
        var work = parent.Statements.ToList();
        work.Insert(1, S("b", Op.Pipe));

        Assert.True(ProgramValidator.TryValidate([], work, parent, out var mutant, out _, lineless: true));

        // Slots are the program's: the lines after the insert keep their objects, only the table moves.
        Assert.All(work.Zip(mutant.Statements), pair => Assert.Same(pair.First, pair.Second));
        Assert.True(mutant.Slots.IsNarrow);
        Assert.Equal([1, 2, -1, 3, -1, 4, -1], mutant.Slots.Select(x => x.Binding));
        Assert.Equal([0, 0, 0, 0, 0, 0, 4], mutant.Slots.Select(x => x.Thread));
        Assert.Equal((3, 1), (mutant.Slots[4].First, mutant.Slots[4].Second));
        Assert.Equal([1, -1, 2, -1, 3, -1], parent.Slots.Select(x => x.Binding));
    }

    [Fact]
    public void AProgramBindsAsManyNamesAsItsSlotsHold()
    {
        var statements = new List<Statement>();
        for (var i = 1; i < LineSlots.MaxSlots; i++)
        {
            statements.Add(S($"p{i}", Op.Pipe));
        }
        statements.Add(S(null, Op.Read, Arg.Ref($"p{LineSlots.MaxSlots - 1}"), Arg.Num(8)));

        var program = ProgramValidator.Validate([], statements);

        Assert.Equal(LineSlots.MaxSlots, program.SlotCount);
        Assert.Equal(LineSlots.MaxSlots - 1, program.Slots[^2].Binding);
        Assert.Equal(LineSlots.MaxSlots - 1, program.Slots[^1].First);
        statements.Add(S("extra", Op.Pipe));
        var error = Assert.Throws<ProgramException>(() => ProgramValidator.Validate([], statements));
        Assert.Contains($"expected at most {LineSlots.MaxSlots - 1} names and t0", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(SlotTable.NarrowSlots - 1, true)]
    [InlineData(SlotTable.NarrowSlots, false)]
    public void ATableKeepsAByteASlotWhileEverySlotFitsInOne(int names, bool narrow)
    {
        // Each pipe binds a name; each read names the pipe bound last and runs on the thread bound last.
        var statements = new List<Statement> { S("t1", Op.Thread) };
        for (var i = 1; i < names; i++)
        {
            statements.Add(S($"p{i}", Op.Pipe));
        }
        statements.Add(S("t1", null, Op.Read, false, Arg.Ref($"p{names - 1}"), Arg.Num(8)));

        var program = ProgramValidator.Validate([], statements);

        Assert.Equal(names + 1, program.SlotCount);
        Assert.Equal(narrow, program.Slots.IsNarrow);
        Assert.Equal(Enumerable.Range(1, names).Append(-1), program.Slots.Select(x => x.Binding));
        Assert.Equal((1, names, -1), (program.Slots[^1].Thread, program.Slots[^1].First, program.Slots[^1].Second));
    }

    private static Program Lineless(params Statement[] statements)
    {
        Assert.True(ProgramValidator.TryValidate([], statements, null, out var program, out _, lineless: true));
        return program;
    }

    [Fact]
    public void HundredsOfNamesResolveToTheirOwnSlotsAndARepeatIsRejected()
    {
        // Each use spells the name as a new string, as a parser does: lookups must compare text, not references.
        const int Count = 300;
        var statements = new List<Statement>();
        for (var i = 0; i < Count; i++)
        {
            statements.Add(S($"m{i}", Op.Mmap, Arg.Num(4096), Arg.Of(Flag.Rw), Arg.Of(Flag.Private)));
        }
        for (var i = Count - 1; i >= 0; i--)
        {
            statements.Add(S(null, Op.Load, Arg.Ref(string.Concat("m", i.ToString(System.Globalization.CultureInfo.InvariantCulture)))));
        }
        var program = ProgramValidator.Validate([], statements);
        Assert.Equal(Count + 1, program.SlotCount);
        Assert.False(program.Slots.IsNarrow);
        Assert.Equal(Enumerable.Range(1, Count), program.Slots.Take(Count).Select(s => s.Binding));
        Assert.Equal(Enumerable.Range(1, Count).Reverse(), program.Slots.Skip(Count).Select(s => s.First));

        statements.Add(S("m150", Op.Mmap, Arg.Num(4096), Arg.Of(Flag.Rw), Arg.Of(Flag.Private)));
        var error = Assert.Throws<ProgramException>(() => ProgramValidator.Validate([], statements));
        Assert.Contains("'m150' is already bound at line 151", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BuiltStatementsAreNumberedByTheirPrintedLine()
    {
        var a = Arg.Ref("a");
        var program = ProgramValidator.Validate(["seed 7", "mutated"],
        [
            S("a", Op.Mmap, Arg.Num(4096), Arg.Of(Flag.Rw), Arg.Of(Flag.Private)),
            S("t1", Op.Fork),
            S("t1", null, Op.Store, false, a, Arg.Num(1)),
            S(null, Op.Load, a),
        ]);
        Assert.Equal([3, 4, 5, 6], program.Statements.Select(s => s.Line));
        var lines = ProgramPrinter.Print(program).Split('\n');
        Assert.Equal("t1: store(a, 1)", lines[program.Statements[2].Line - 1]);
        Assert.Equal("load(a)", lines[program.Statements[3].Line - 1]);
    }

    [Fact]
    public void ErrorsInBuiltStatementsPointAtThePrintedText()
    {
        Statement[] statements =
        [
            S("a", Op.Mmap, Arg.Num(4096), Arg.Of(Flag.Rw), Arg.Of(Flag.Private)),
            S("t1", Op.Thread),
            S("t1", "h", Op.Store, true, Arg.Ref("a", 8), Arg.Ref("b")),
        ];
        Assert.False(ProgramValidator.TryValidate(["one header line"], statements, out var program, out var error));
        Assert.Null(program);
        // Printed: "t1: h = store(a+8, b) &": b is at column 20 of line 1 + 3.
        Assert.Equal("4:20: argument 2 of store is the name 'b'; expected a number", error.Format(null));
    }

    [Fact]
    public void MixingParsedAndNewStatementsRenumbersAll()
    {
        var parsed = ProgramParser.Parse("\n\na = mmap(4K, rw, private)\n\nload(a)\n");
        Assert.Equal([3, 5], parsed.Statements.Select(s => s.Line));
        var mutated = parsed.Statements.Insert(1, S(null, Op.Store, Arg.Ref("a"), Arg.Num(9)));
        var program = ProgramValidator.Validate(parsed.Header, mutated);
        Assert.Equal([1, 2, 3], program.Statements.Select(s => s.Line));
        Assert.All(program.Statements, s => Assert.Equal(0, s.Column | s.OpColumn | s.BindingColumn | s.Args[0].Column));
        Assert.Equal("a = mmap(4K, rw, private)\nstore(a, 9)\nload(a)\n", ProgramPrinter.Print(program));
    }

    [Fact]
    public void RevalidatingAValidProgramReusesItsStatements()
    {
        var program = ProgramParser.Parse("a = mmap(4K, rw, private)\nt1 = fork()\nt1: store(a, 1)\n");
        var again = ProgramValidator.Validate(program.Header, program.Statements);
        for (var i = 0; i < program.Statements.Length; i++)
        {
            Assert.Same(program.Statements[i], again.Statements[i]);
        }
    }

    public static TheoryData<Statement[], string> BadStatements { get; } = new()
    {
        { [S("a", Op.Mmap, Arg.Num(-1), Arg.Of(Flag.Rw), Arg.Of(Flag.Private))], "1:10: argument 1 of mmap is negative; expected a number from 0" },
        { [S("a", Op.Mmap, Arg.Num(1), Arg.Of(Flag.None), Arg.Of(Flag.Private))], "1:13: argument 2 of mmap has no flags; expected exactly one of none, r, rw" },
        { [S("a", Op.Mmap, Arg.Num(1), Arg.Of(Flag.Rw | Flag.On), Arg.Of(Flag.Private))], "1:13: argument 2 of mmap does not allow 'on'; expected a prot" },
        { [S("a", Op.Mmap, Arg.Num(1), Arg.Of(Flag.Rw))], "1:5: too few arguments: mmap(number, prot, map flags) takes 3 arguments, got 2" },
        { [S(null, Op.Exit, Arg.Num(1))], "1:6: too many arguments: exit() takes no arguments, got 1" },
        { [S("a b", Op.Pipe)], "1:1: 'a b' is not a name; expected a letter or '_'" },
        { [S("none", Op.Pipe)], "1:1: 'none' is a flag word and cannot be bound" },
        { [S(null, (Op)200)], "1:1: unknown op 200; expected an op of the OpTable" },
        { [S("p", Op.Pipe), S(null, Op.Read, Arg.Ref("p", 8), Arg.Num(8))], "2:6: argument 1 of read has an offset, which only addresses take; expected a pipe" },
        { [S("p", Op.Pipe), S("tx", null, Op.Read, false, Arg.Ref("p"), Arg.Num(8))], "2:1: 'tx' is not bound; expected t0 or a thread" },
        { [S("p", Op.Pipe), S(null, Op.Read, Arg.Ref("p", -8), Arg.Num(8))], "has an offset" },
        { [S("a", Op.Mmap, Arg.Num(1), Arg.Of(Flag.R), Arg.Of(Flag.Private)), S(null, Op.Load, Arg.Ref("a", -8))], "2:6: argument 1 of load has a negative offset" },
        { [S("a", Op.Mmap, Arg.Num(1), Arg.Of(Flag.R), Arg.Of(Flag.Private)), S(null, Op.Load, Arg.Ref("z"))], "2:6: 'z' is not bound" },
    };

    [Fact]
    public void EveryFlagWordIsRefusedAsABinding()
    {
        // The validator answers names with other characters than a-z without a lookup: every word must be a-z only.
        foreach (var word in FlagWords.ByWord.Keys)
        {
            Assert.True(FlagWords.IsWord(word), word);
            Assert.False(ProgramValidator.TryValidate([], [S(word, Op.Pipe)], out _, out var error));
            Assert.Contains($"'{word}' is a flag word and cannot be bound", error!.Message, StringComparison.Ordinal);
        }
        Assert.False(FlagWords.IsWord("none1"));
        Assert.False(FlagWords.IsWord("None"));
    }

    [Theory]
    [MemberData(nameof(BadStatements))]
    public void BadBuiltStatementsAreRejectedWithoutThrowing(Statement[] statements, string expected)
    {
        Assert.False(ProgramValidator.TryValidate([], statements, out _, out var error));
        Assert.True(error.Format(null).Contains(expected, StringComparison.Ordinal), error.Format(null));
        Assert.Contains("expected", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HeaderLinesCannotHoldLineBreaks()
    {
        Assert.False(ProgramValidator.TryValidate(["ok", "two\nlines"], [], out _, out var error));
        Assert.Equal("2:1: header line 2 is null or holds a line break; expected one line of comment text", error.Format(null));
    }

    [Fact]
    public void DefaultArgumentsAndHeaderAreEmpty()
    {
        var program = ProgramValidator.Validate(default, [new Statement(Statement.MainThread, null, Op.Exit, default, false)]);
        Assert.Empty(program.Header);
        Assert.Empty(program.Statements[0].Args);
        Assert.Equal("exit()\n", ProgramPrinter.Print(program));
    }

    public static TheoryData<string> InvalidTexts { get; } = new()
    {
        "a = mmap(4K, rw, private)\nt1 = thread()\nt1: x = store(a+8, 1)",
        "a = mmap(4K, rw, private)\nt1 = thread()\nt1: x = mmap(4K, rw, private|populate) &",
        "a = mmap(4K, rw, private)\nt1 = thread()\nt1: h = mprotect(a, 4K, r) &",
        "a = mmap(4K, rw, private)\nt1 = thread()\nt2: load(a)",
        "a = mmap(4K, rw, private)\nt1 = thread()\nh = store(a, 1) &\nt1: wait(h)",
        "a = mmap(4K, rw, private)\nt1 = fork()\nt1: p = pipe()\nt1: vmsplice(p, a, q)",
        "a = mmap(4K, rw, private)\nt1 = fork()\nt1: q = pin(a, 4K, rw|fast)\nt1: vmsplice(q, a, 4K)",
    };

    [Theory]
    [MemberData(nameof(InvalidTexts))]
    public void BuiltErrorsHaveTheLocationTheirPrintedTextWouldHave(string text)
    {
        var parseError = Assert.Throws<ProgramException>(() => ProgramParser.Parse(text));
        var built = text.Split('\n').Select(Rebuild).ToList();
        Assert.False(ProgramValidator.TryValidate([], built, out _, out var error));
        Assert.Equal(parseError.Format(null), error.Format(null));
    }

    /// <summary>A statement as the fuzzer would build it: from the AST of one line, without positions.</summary>
    private static Statement Rebuild(string line)
    {
        var op = OpTable.ByName[line.Split('(')[0].Split(' ', ':').Last()];
        var thread = line.Contains(':', StringComparison.Ordinal) ? line.Split(':')[0] : Statement.MainThread;
        var body = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..];
        var binding = body.Contains('=', StringComparison.Ordinal) ? body.Split('=')[0].Trim() : null;
        var argText = line[(line.IndexOf('(', StringComparison.Ordinal) + 1)..line.IndexOf(')', StringComparison.Ordinal)];
        var args = argText.Length == 0 ? [] : argText.Split(", ").Select((a, i) => ParseArg(a, op.Params[i])).ToArray();
        return new Statement(thread, binding, op.Op, [.. args], line.EndsWith('&'));
    }

    private static Arg ParseArg(string text, ParamKind kind)
    {
        if (char.IsAsciiDigit(text[0]))
        {
            return Arg.Num(ProgramParser.Parse($"f = file({text})").Statements[0].Args[0].Number);
        }
        if (kind is ParamKind.Prot or ParamKind.MapFlags or ParamKind.PinFlags)
        {
            return Arg.Of(text.Split('|').Aggregate(Flag.None, (f, w) => f | FlagWords.ByWord[w]));
        }
        var plus = text.Split('+');
        return Arg.Ref(plus[0], plus.Length > 1 ? long.Parse(plus[1], System.Globalization.CultureInfo.InvariantCulture) : 0);
    }
}
