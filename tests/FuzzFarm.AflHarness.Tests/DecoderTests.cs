using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.AflHarness.Tests;

public class DecoderTests
{
    /// <summary>Random inputs of every length up to a few statements' worth, from a fixed seed.</summary>
    private static IEnumerable<byte[]> RandomInputs(int count)
    {
        var random = new Random(9);
        for (var i = 0; i < count; i++)
        {
            var bytes = new byte[random.Next(0, 240)];
            random.NextBytes(bytes);
            yield return bytes;
        }
    }

    [Fact]
    public void EveryInputDecodesToAValidProgramThatRoundTrips()
    {
        foreach (var input in RandomInputs(3000))
        {
            var program = ByteProgramDecoder.Decode(input);
            var text = ProgramPrinter.Print(program);
            Assert.Equal(text, ProgramPrinter.Print(ProgramParser.Parse(text)));
            Assert.True(program.Statements.Length <= ByteProgramDecoder.MaxStatements + ByteProgramDecoder.MaxThreads, text);
        }
    }

    [Fact]
    public void EveryOpOfTheTableIsReached()
    {
        var seen = RandomInputs(3000).SelectMany(i => ByteProgramDecoder.Decode(i).Statements).Select(s => s.Op).ToHashSet();
        Assert.Equal(OpTable.All.Select(i => i.Op).Order(), seen.Order());
        var splits = RandomInputs(3000).SelectMany(i => ByteProgramDecoder.Decode(i).Statements).Where(s => s.Split).Select(s => s.Op).ToHashSet();
        Assert.Equal(OpTable.All.Where(i => i.Splittable).Select(i => i.Op).Order(), splits.Order());
    }

    [Fact]
    public void AnOpWithoutItsResourcesBecomesTheOpThatCreatesThem()
    {
        // dma_read needs a pin, which needs an address: the first statement is the mmap.
        var program = ByteProgramDecoder.Decode([(byte)Op.DmaRead, 0, 2, 0]);
        Assert.Equal("a1 = mmap(4K, rw, private)\n", ProgramPrinter.Print(program));
        // vmsplice needs a pipe first (its first parameter).
        Assert.Equal("p1 = pipe()\n", ProgramPrinter.Print(ByteProgramDecoder.Decode([(byte)Op.Vmsplice])));
    }

    [Fact]
    public void ASplitOpIsWaitedByItsThreadBeforeTheEnd()
    {
        // mmap, then store split (choice 0 of 4), then the input ends: the decoder closes the split.
        var program = ByteProgramDecoder.Decode([0, 0, 2, 0, (byte)Op.Store, 0, 6, 0]);
        Assert.Equal("a1 = mmap(4K, rw, private)\nh1 = store(a1, 7) &\nwait(h1)\n", ProgramPrinter.Print(program));
    }

    [Fact]
    public void TheChosenBytesOfAScenarioDecodeToItsProgram()
    {
        Assert.Equal(Scenario.S1Text, ProgramPrinter.Print(ByteProgramDecoder.Decode(Scenario.S1Bytes)));
    }
}
