using Xunit;

namespace FuzzFarm.Programs.Tests;

/// <summary>Seeded property: any valid built program prints to text that parses back to the same program.</summary>
public class PrintParsePropertyTests
{
    [Fact]
    public void RandomValidProgramsSurvivePrintAndParse()
    {
        var ops = new HashSet<Op>();
        var splits = 0;
        for (var seed = 0; seed < 500; seed++)
        {
            var builder = new RandomProgramBuilder(seed);
            var header = builder.Header();
            var statements = builder.Statements(1 + (seed % 40));
            Assert.True(ProgramValidator.TryValidate([.. header], statements, out var built, out var error),
                $"seed {seed}: {error?.Format(null)}\n{string.Join('\n', statements.Select(ProgramPrinter.Print))}");

            var text = ProgramPrinter.Print(built);
            var parsed = ProgramParser.Parse(text);
            Assert.Equal(text, ProgramPrinter.Print(parsed));
            Assert.Equal<string>(built.Header, parsed.Header);
            Assert.Equal((built.SlotCount, built.ThreadCount), (parsed.SlotCount, parsed.ThreadCount));
            Assert.Equal(built.Statements.Length, parsed.Statements.Length);
            for (var i = 0; i < built.Statements.Length; i++)
            {
                AssertSame(built, parsed, i, $"seed {seed} line {built.Statements[i].Line}");
                ops.Add(built.Statements[i].Op);
                splits += built.Statements[i].Split ? 1 : 0;
            }
        }
        // The property is only as good as its coverage: every op and many splits were generated.
        Assert.Equal(OpTable.All.Length, ops.Count);
        Assert.True(splits > 100, $"{splits} splits");
    }

    private static void AssertSame(Program built, Program parsed, int i, string where)
    {
        var (expected, actual) = (built.Statements[i], parsed.Statements[i]);
        Assert.True(
            expected.Thread == actual.Thread && expected.Binding == actual.Binding && expected.Op == actual.Op
                && expected.Split == actual.Split && expected.Line == actual.Line && expected.Args.SequenceEqual(actual.Args, ArgComparer.Instance)
                && Equals(built.Slots[i], parsed.Slots[i]),
            $"{where}: {ProgramPrinter.Print(expected)} != {ProgramPrinter.Print(actual)}");
    }

    /// <summary>Compares what an argument means, not where it was written.</summary>
    private sealed class ArgComparer : IEqualityComparer<Arg>
    {
        public static readonly ArgComparer Instance = new();

        public bool Equals(Arg x, Arg y) =>
            x.Form == y.Form && x.Number == y.Number && x.Name == y.Name && x.Flags == y.Flags;

        public int GetHashCode(Arg obj) => HashCode.Combine(obj.Form, obj.Number, obj.Name, obj.Flags);
    }
}
