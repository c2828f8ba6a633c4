using Xunit;

namespace FuzzFarm.Programs.Tests;

/// <summary>
/// Validating a mutant against its parent replays the parent's lines after a change only while the names stand as
/// they stood there: each case changes one line of a parent and compares with validating the mutant whole.
/// </summary>
public class BasisReplayTests
{
    private const string Parent = """
        a = mmap(8K, rw, private)
        p = pipe()
        t1 = fork()
        store(a, 1)
        t1: h = store(a+8, 2) &
        t1: wait(h)
        t1: load(a)
        vmsplice(p, a, 4K)
        t1: exit()
        load(a+8)

        """;

    private static readonly Arg A = Arg.Ref("a");

    private static Statement S(string thread, string? binding, Op op, bool split, params Arg[] args) => new(thread, binding, op, [.. args], split);

    /// <summary>Each case: the line to change (negative: insert before that index), the new line (null: remove), and whether the mutant is valid.</summary>
    public static TheoryData<string, int, Statement?, bool> Changes => new()
    {
        // A line without effects, changed, inserted or removed: the rest is the parent's and still valid.
        { "change a number", 3, S("t0", null, Op.Store, false, A, Arg.Num(7)), true },
        { "insert a store", -3, S("t0", null, Op.Store, false, Arg.Ref("a", 16), Arg.Num(3)), true },
        { "remove a store", 3, null, true },
        // Changed effects that make a later line of the parent invalid.
        { "rename a binding", 0, S("t0", "b", Op.Mmap, false, Arg.Num(8192), Arg.Of(Flag.Rw), Arg.Of(Flag.Private)), false },
        { "drop a split", 4, S("t1", null, Op.Store, false, Arg.Ref("a", 8), Arg.Num(2)), false },
        { "remove a wait", 5, null, false },
        { "insert a split", -6, S("t1", "g", Op.Store, true, A, Arg.Num(4)), false },
        { "wait on another thread", 5, S("t0", null, Op.Wait, false, Arg.Ref("h")), false },
        // Changed effects that leave the rest valid, with other counts.
        { "exit earlier", -4, S("t1", null, Op.Exit, false), true },
        { "a thread instead of a fork", 2, S("t0", "t1", Op.Thread, false), true },
        { "same effect, other arguments", 4, S("t1", "h", Op.Store, true, A, Arg.Num(5)), true },
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public void AMutantValidatesAsItWouldWhole(string change, int at, Statement? edit, bool valid)
    {
        var parent = Lineless(ProgramParser.Parse(Parent));
        var work = parent.Statements.ToList();
        if (at < 0)
        {
            work.Insert(-at, edit!);
        }
        else if (edit is null)
        {
            work.RemoveAt(at);
        }
        else
        {
            work[at] = edit;
        }

        var wholeOk = ProgramValidator.TryValidate([], work, null, out var whole, out var wholeError, lineless: true);
        var fastOk = ProgramValidator.TryValidate([], work, parent, out var fast, out var fastError, lineless: true);

        Assert.True(wholeOk == valid, $"{change}: the case means the mutant to be {(valid ? "valid" : "invalid")}");
        Assert.True(fastOk == valid, $"{change}: validated against its parent, the mutant is {(fastOk ? "valid" : "invalid")}");
        if (!wholeOk)
        {
            Assert.Equal(wholeError!.Message, fastError!.Message);
            return;
        }
        Assert.Equal((whole!.SlotCount, whole.ThreadCount, whole.LinesAfterExit), (fast!.SlotCount, fast.ThreadCount, fast.LinesAfterExit));
        Assert.Equal(Enum.GetValues<Op>().Where(whole.Uses), Enum.GetValues<Op>().Where(fast.Uses));
        Assert.Equal(Resolved(whole), Resolved(fast));
        for (var k = 0; k < work.Count; k++)
        {
            Assert.Equal(ReferenceEquals(whole.Statements[k], work[k]), ReferenceEquals(fast.Statements[k], work[k]));
        }
    }

    private static Program Lineless(Program parsed)
    {
        Assert.True(ProgramValidator.TryValidate([], parsed.Statements.Select(s => new Statement(s.Thread, s.Binding, s.Op, s.Args, s.Split)).ToList(),
            null, out var program, out _, lineless: true));
        return program;
    }

    private static IEnumerable<string> Resolved(Program p) => p.Statements.Select((s, i) =>
        $"{s.Line} {s.Thread}@{p.Slots[i].Thread} {s.Binding}@{p.Slots[i].Binding} {s.Op} {s.Split} {string.Join(", ", s.Args.Select((a, j) => $"{a}@{p.Slots[i].Arg(s.Info, j)}"))}");
}
