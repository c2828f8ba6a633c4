using Xunit;

namespace FuzzFarm.AflHarness.Tests;

public class ParserTargetTests
{
    public static TheoryData<string> Seeds { get; } =
        [.. Directory.GetFiles(Path.Combine(Scenario.RepoRoot, "corpus", "seeds"), "*.ff").Select(f => Path.GetFileName(f)).Order()];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void EverySeedParsesPrintsAndReplaysOnEveryProfile(string seed)
    {
        new ParserTarget().Run(File.ReadAllBytes(Path.Combine(Scenario.RepoRoot, "corpus", "seeds", seed)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("mmap(")]
    [InlineData("a = mmap(4K, rw, private)\nt1: load(a)\n")]
    [InlineData("\u0000\u00ff\n\n\r")]
    [InlineData("a = mmap(4K, rw, private)\nh = store(a, 1) &\n")]
    [InlineData("# only a comment")]
    public void BadOrOddTextIsRejectedWithALocatedErrorOrRuns(string text)
    {
        new ParserTarget().Run(System.Text.Encoding.UTF8.GetBytes(text));
    }

    [Fact]
    public void InvalidUtf8IsJustText()
    {
        new ParserTarget().Run([0xff, 0xfe, 0x28, 0x0a, 0xc3]);
    }
}
